"""Two-way referral: the ServiceRequest/Task state machine and the summary it carries.

The API the screens (and the expert's triage inbox) build on:

- workflow: ReferralStatus (Task.status codes), ReferralAction, next_status(current,
  action) raising IllegalTransition (a ValueError, message in English and Chinese),
  allowed_actions(status), status_words(status).
- fhir_shapes: the FHIR JSON builders and readers (ServiceRequest, referral Task,
  Communication, follow-up Task, department Organization) and the word tables
  (CATEGORIES, PRIORITIES, DECLINE_REASONS, BUSINESS_STATUSES, SPECIALTIES).
- model: ReferralDraft, FollowUpPlan, ThreadMessage, ReferralItem, FollowUpItem,
  ReferralDetail, ReferFormData, Coded.
- store: ReferralStore(engine, clinic, practitioner_id) with refer, receive, accept,
  decline, ask, answer, forward, start, complete, cancel, follow_up_done (each a local
  write with its outbox entry, checked by next_status and by which side may act), and
  the reads thread, detail, item, referrals_for_patient, referrals_of_clinic,
  follow_ups_due, follow_ups_for_patient, hospitals, departments, form_data.
- summary.assemble_summary: the clinical summary from a Chart; follow_up_read: the
  follow-ups due read with plain sqlite3 for the queue's first paint.
"""
