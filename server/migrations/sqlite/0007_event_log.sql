-- Wake-ups between processes that share one SQLite file (PostgreSQL has LISTEN/NOTIFY instead): each
-- process appends the events it publishes, a batch a row, and reads the rows other processes appended
-- every 100 ms. Rows are pruned after ten minutes; nothing here is a record, only a wake-up.
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    origin  TEXT NOT NULL,
    lines   TEXT NOT NULL
);
