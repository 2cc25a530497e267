"""Two-way referral: the ServiceRequest/Task state machine and the clinical summary it carries (no Textual)."""
