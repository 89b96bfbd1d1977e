-- Foundation: the server's key material (dev mode), the citizens of the Mobile Citizens Database and the
-- organisations that call the API with client credentials.
CREATE TABLE server_keys (
    name        TEXT PRIMARY KEY,
    material    BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- A citizen is known to the API by an opaque id (the `sub` of tokens), never by the IIN.
CREATE TABLE citizens (
    id           TEXT PRIMARY KEY,
    iin          TEXT NOT NULL UNIQUE,
    phone        TEXT UNIQUE,
    surname      TEXT NOT NULL,
    given_name   TEXT NOT NULL,
    patronymic   TEXT,
    surname_lat  TEXT NOT NULL,
    given_name_lat TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    sex          TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE org_clients (
    client_id    TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    bin          TEXT,
    secret_hash  BLOB NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
