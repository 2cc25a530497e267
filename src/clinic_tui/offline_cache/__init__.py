"""The local SQLite cache every screen reads: tables, migrations, repositories, outbox."""
