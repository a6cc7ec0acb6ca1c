"""Database connection and the one place transactions begin and end.

SQLite (the embedded default) runs in WAL mode with foreign keys on; write transactions start
with ``BEGIN IMMEDIATE`` so two writers queue instead of failing half-way. PostgreSQL is the
production database. Services only ``flush()``; :meth:`Database.transaction` commits.

With ``SUNHALL_DATABASE_REPLICA_URL`` set, :attr:`Database.ReadSession` reads from that PostgreSQL
replica (streaming replication lags the primary by a moment); without it, from the primary.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from . import notify
from .config import Settings
from .errors import StaleCase

log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 1.0


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        # checkpoints run on Database's background thread, not inside whichever commit fills the WAL
        cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _setup_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # JIT compiles a query plan to machine code, which pays for itself only over millions of rows; the
        # product's statements are short, and on the million-case database JIT alone took 354 ms of a
        # dashboard count that runs in a few ms without it
        with dbapi_conn.cursor() as cur:
            cur.execute("SET jit = off")
        dbapi_conn.commit()


class Database:
    def __init__(self, url: str | None = None, echo: bool = False, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.url = make_url(url or self.settings.database_url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs = {}
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        if not self.is_sqlite:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine = create_engine(self.url, echo=echo, **kwargs)
        if self.is_sqlite:
            _setup_sqlite(self.engine)
        else:
            _setup_postgresql(self.engine)
        write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        info = {"settings": self.settings}
        self.Session = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self.WriteSession = sessionmaker(write_engine, expire_on_commit=False, info=info)
        replica = self.settings.database_replica_url
        self.replica_engine = create_engine(make_url(replica), echo=echo, **kwargs) \
            if replica and not self.is_sqlite else self.engine
        if self.replica_engine is not self.engine:
            _setup_postgresql(self.replica_engine)
        # reads that tolerate the replica's lag: nothing read here may be the basis of a write
        self.ReadSession = sessionmaker(self.replica_engine, expire_on_commit=False, info=info)
        self._stop = threading.Event()
        self._checkpointer = None
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="sqlite-checkpoint", daemon=True)
            self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        """Copy the WAL back into the database file about once a second and restart it, so that the
        WAL stays small and no request pays for a checkpoint. RESTART waits for readers while
        holding back new writers, so it gets a short busy timeout: under a long read it gives up
        and tries again next time."""
        while not self._stop.wait(CHECKPOINT_SECONDS):
            try:
                raw = self.engine.raw_connection()  # outside any BEGIN: a checkpoint inside a read would stall
                conn = raw.driver_connection
                try:
                    conn.execute("PRAGMA busy_timeout=50")
                    conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                finally:
                    conn.execute("PRAGMA busy_timeout=15000")
                    raw.close()
            except Exception:  # a busy or closing database: try again next time
                log.debug("wal checkpoint skipped", exc_info=True)

    @contextlib.contextmanager
    def transaction(self, write: bool = True):
        """One unit of work: commit on success, roll back on any exception.

        A stale optimistic version at flush or commit becomes :class:`StaleCase`.
        """
        factory = self.WriteSession if write else self.Session
        session: Session = factory()
        committed = False
        try:
            yield session
            if write:
                session.commit()
                committed = True
            # a read transaction ends with close(), which keeps loaded objects usable (rollback would expire them)
        except StaleDataError as exc:
            session.rollback()
            raise StaleCase("办件已被他人更新，请刷新后重试。") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            notify.after_close(session, committed)

    def dispose(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(5)
        self.engine.dispose()
        if self.replica_engine is not self.engine:
            self.replica_engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.dispose()
