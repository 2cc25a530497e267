"""A deterministic demo township clinic: patients, records, referrals and today's queue."""
