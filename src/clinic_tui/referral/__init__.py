"""Two-way referral: the ServiceRequest/Task state machine and the summary it carries."""
