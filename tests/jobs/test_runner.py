"""Long jobs: claimed once, progress seen while they run, cancel, lease take-over, reasons."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from tests.builders import make_user
from tests.conftest import Live
from yiyang.db import read_only
from yiyang.errors import N_, Conflict
from yiyang.jobs import runner, service, tasks
from yiyang.jobs.context import JobContext, JobOutcome, ResultFile
from yiyang.jobs.models import Job, JobState, Timer
from yiyang.jobs.timer_runner import run_due
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

Handler = Callable[[JobContext], JobOutcome]


def _owner(live: Live, role: Role = Role.DISTRICT_ADMIN) -> Subject:
    with live.factory() as s:
        _, subject = make_user(s, role)
        s.commit()
    return subject


def _submit(live: Live, owner: Subject, kind: str = "t.job", **params: object) -> int:
    with live.factory() as s:
        job = service.submit(
            s, owner, kind, dict(params), title=N_("Test job"), locale="en", now=live.clock.now
        )
        s.commit()
        return job.id


def _job(live: Live, job_id: int) -> Job:
    with live.factory() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def _run(
    live: Live, handler: Handler, *, restart: bool = True, stopping: threading.Event | None = None
) -> int | None:
    kinds = {"t.job": runner.JobKind(handler, restart)}
    return runner.run_next(live.factory, live.clock, live.settings, kinds=kinds, stopping=stopping)


def _user_count(live: Live) -> int:
    with live.factory() as s:
        return s.scalar(select(func.count(UserAccount.id))) or 0


def test_a_job_runs_once_as_its_owner_and_keeps_its_result(live: Live) -> None:
    owner = _owner(live, Role.OPERATOR)
    job_id = _submit(live, owner, n=3)
    seen: list[Subject] = []

    def handler(ctx: JobContext) -> JobOutcome:
        seen.append(ctx.subject)
        return JobOutcome(N_("%(count)s things done."), {"count": ctx.params["n"]}, data={"n": 3})

    assert _run(live, handler) == job_id
    assert _run(live, handler) is None  # nothing else waits
    assert [s.user_id for s in seen] == [owner.user_id] and seen[0].role == Role.OPERATOR
    done = _job(live, job_id)
    assert done.state == JobState.DONE and done.attempts == 1 and done.finished_at is not None
    assert done.result == {
        "summary": "%(count)s things done.",
        "summary_params": {"count": 3},
        "data": {"n": 3},
    }


def test_progress_is_visible_from_another_transaction_while_the_job_runs(live: Live) -> None:
    job_id = _submit(live, _owner(live))
    seen: list[tuple[int, int | None, str | None]] = []

    def handler(ctx: JobContext) -> JobOutcome:
        ctx.progress(0, 10, N_("Counting…"))
        ctx.session.add(UserAccount(username="written", password_hash="x", display_name="x",
                                    role="operator"))  # fmt: skip
        ctx.session.flush()  # the job's own transaction holds this until the end
        with read_only(live.factory) as other:  # a page's poll (SQLite: without the lock)
            job = other.get_one(Job, job_id)
            seen.append((job.progress_done, job.progress_total, job.progress_message))
            seen.append((other.scalar(select(func.count()).where(UserAccount.username ==
                                                                  "written")), None, None))  # fmt: skip
        return JobOutcome(N_("Done."))

    before = _user_count(live)
    _run(live, handler)
    assert seen == [(0, 10, "Counting…"), (0, None, None)]  # progress yes, the work not yet
    assert _user_count(live) == before + 1  # committed with the job's end
    assert _job(live, job_id).progress_done == 10  # done counts as all of it


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(live: Live) -> None:
    job_id = _submit(live, _owner(live))
    kinds = {"t.job": runner.JobKind(lambda ctx: JobOutcome(N_("Done.")), True)}
    dead = runner.claim(live.factory, live.clock, live.settings, worker="dead", kinds=kinds)
    assert dead is not None and dead.id == job_id  # claimed, then the worker died
    assert _run(live, lambda ctx: JobOutcome(N_("Done."))) is None  # its lease still holds
    live.clock.advance(seconds=live.settings.job_lease_seconds + 1)
    assert _run(live, lambda ctx: JobOutcome(N_("Done."))) == job_id
    again = _job(live, job_id)
    assert again.state == JobState.DONE and again.attempts == 2 and again.worker == "worker"


def test_a_lost_job_that_cannot_restart_fails_saying_nothing_changed(live: Live) -> None:
    job_id = _submit(live, _owner(live))
    kinds = {"t.job": runner.JobKind(lambda ctx: JobOutcome(N_("Done.")), False)}
    runner.claim(live.factory, live.clock, live.settings, worker="dead", kinds=kinds)
    live.clock.advance(minutes=5)
    assert _run(live, lambda ctx: JobOutcome(N_("Done.")), restart=False) is None
    failed = _job(live, job_id)
    assert failed.state == JobState.FAILED and failed.error_code == "worker_lost"
    assert failed.error_message == runner.LOST


def test_a_job_lost_again_and_again_is_given_up(live: Live) -> None:
    job_id = _submit(live, _owner(live))
    kinds = {"t.job": runner.JobKind(lambda ctx: JobOutcome(N_("Done.")), True)}
    for _ in range(runner.MAX_ATTEMPTS):
        assert runner.claim(live.factory, live.clock, live.settings, worker="x", kinds=kinds)
        live.clock.advance(minutes=5)
    assert runner.claim(live.factory, live.clock, live.settings, worker="x", kinds=kinds) is None
    failed = _job(live, job_id)
    assert failed.state == JobState.FAILED and failed.error_params == {"count": 3}


def test_a_worker_that_lost_its_lease_cannot_finish_the_job(live: Live) -> None:
    job_id = _submit(live, _owner(live))

    def slow(ctx: JobContext) -> JobOutcome:
        live.clock.advance(minutes=5)  # silent for longer than the lease: another worker...
        taken = runner.claim(live.factory, live.clock, live.settings, worker="other",
                             kinds={"t.job": runner.JobKind(slow, True)})  # fmt: skip
        assert taken is not None and taken.attempts == 2
        return JobOutcome(N_("Done."))

    _run(live, slow)
    job = _job(live, job_id)
    assert job.state == JobState.RUNNING and job.worker == "other" and job.result is None


def test_cancel_stops_a_waiting_job_at_once_and_a_running_one_at_its_next_step(
    live: Live,
) -> None:
    owner = _owner(live)
    waiting = _submit(live, owner)
    with live.factory() as s:
        assert service.cancel(s, owner, waiting, now=live.clock.now).state == JobState.CANCELLED
        s.commit()
    running = _submit(live, owner)
    steps: list[int] = []
    before = _user_count(live)

    def handler(ctx: JobContext) -> JobOutcome:
        path = ctx.result_path(".csv")
        path.write_text("partial")
        for step in range(5):
            steps.append(step)
            ctx.progress(step, 5, N_("Step…"))
            if step == 1:
                with live.factory() as s:
                    service.cancel(s, owner, running, now=live.clock.now)
                    s.commit()
        ctx.session.add(UserAccount(username="never", password_hash="x", display_name="x",
                                    role="operator"))  # fmt: skip
        return JobOutcome(N_("Done."), file=ResultFile(path, "x.csv", "text/csv"))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("yiyang.jobs.context.PROGRESS_EVERY", 0)
        assert _run(live, handler) == running
    assert steps == [0, 1, 2]  # noticed at the first step after the request
    job = _job(live, running)
    assert job.state == JobState.CANCELLED and job.file_path is None
    assert _user_count(live) == before  # nothing the job wrote was kept
    assert list((live.settings.instance_dir / "jobs").glob("*.csv")) == []
    with live.factory() as s, pytest.raises(Conflict):
        service.cancel(s, owner, running, now=live.clock.now)


def test_a_cancel_asked_during_the_last_step_keeps_nothing(live: Live) -> None:
    owner = _owner(live)
    job_id = _submit(live, owner)

    def handler(ctx: JobContext) -> JobOutcome:
        ctx.session.add(UserAccount(username="late", password_hash="x", display_name="x",
                                    role="operator"))  # fmt: skip
        with live.factory() as s:
            service.cancel(s, owner, job_id, now=live.clock.now)
            s.commit()
        return JobOutcome(N_("Done."))  # no step left: the end notices the request

    before = _user_count(live)
    _run(live, handler)
    assert _job(live, job_id).state == JobState.CANCELLED and _user_count(live) == before


def test_failures_are_recorded_with_a_reason(live: Live) -> None:
    owner = _owner(live)
    refused = _submit(live, owner)

    def domain(ctx: JobContext) -> JobOutcome:
        raise Conflict(N_("Order %(id)s has moved on."), code="moved", id=7)

    _run(live, domain)
    job = _job(live, refused)
    assert (job.state, job.error_code, job.error_message, job.error_params) == (
        JobState.FAILED, "moved", "Order %(id)s has moved on.", {"id": 7},
    )  # fmt: skip
    broken = _submit(live, owner)

    def bug(ctx: JobContext) -> JobOutcome:
        raise ZeroDivisionError("division by zero")

    _run(live, bug)
    job = _job(live, broken)
    assert job.state == JobState.FAILED and job.error_code == "unexpected"
    assert job.error_params == {"id": broken} and "ZeroDivisionError" in (job.error_detail or "")


def test_a_refusal_ends_failed_but_keeps_its_report(live: Live) -> None:
    job_id = _submit(live, _owner(live))

    def handler(ctx: JobContext) -> JobOutcome:
        path = ctx.result_path(".csv")
        path.write_text("row,problem\n")
        refusal = Conflict(N_("Nothing was imported."), code="import_rejected")
        return JobOutcome(refusal.message, data={"rows": []}, refusal=refusal,
                          file=ResultFile(path, "problems.csv", "text/csv"))  # fmt: skip

    _run(live, handler)
    job = _job(live, job_id)
    assert job.state == JobState.FAILED and job.error_code == "import_rejected"
    assert job.file_name == "problems.csv" and job.file_path and job.file_bytes == 12


def test_an_owner_no_longer_active_fails_the_job(live: Live) -> None:
    owner = _owner(live)
    job_id = _submit(live, owner)
    with live.factory() as s:
        s.get_one(UserAccount, owner.user_id).active = False
        s.commit()
    _run(live, lambda ctx: JobOutcome(N_("Done.")))
    assert _job(live, job_id).error_code == "account_inactive"


def test_a_stopping_worker_hands_restartable_jobs_back(live: Live) -> None:
    job_id = _submit(live, _owner(live))
    stopping = threading.Event()

    def handler(ctx: JobContext) -> JobOutcome:
        stopping.set()
        ctx.progress(1, 2, N_("Step…"))
        return JobOutcome(N_("Done."))

    _run(live, handler, stopping=stopping)
    back = _job(live, job_id)
    assert back.state == JobState.QUEUED and back.lease_until is None and back.attempts == 1
    _run(live, handler, restart=False, stopping=threading.Event())
    assert _job(live, job_id).state == JobState.DONE


def test_result_files_are_served_to_the_owner_only_and_cleaned_up(live: Live) -> None:
    owner = _owner(live)
    other = _owner(live)
    job_id = _submit(live, owner)

    def handler(ctx: JobContext) -> JobOutcome:
        path = ctx.result_path(".csv")
        path.write_text("a,b\n")
        return JobOutcome(N_("Done."), file=ResultFile(path, "out.csv", "text/csv"))

    _run(live, handler)
    with live.factory() as s:
        path, name, _ = service.result_file(
            s, owner, job_id, settings=live.settings, now=live.clock.now
        )
        assert path.read_text() == "a,b\n" and name == "out.csv"
        with pytest.raises(Exception, match="not found"):
            service.result_file(s, other, job_id, settings=live.settings, now=live.clock.now)
        tasks.ensure_cleanup(s, live.clock.now)
        s.commit()
    live.clock.advance(hours=live.settings.job_file_hours + 1)
    with live.factory() as s, pytest.raises(Exception, match="expired"):
        service.result_file(s, owner, job_id, settings=live.settings, now=live.clock.now)
    assert run_due(live.factory, live.clock.now, live.settings) == 1
    assert not path.exists() and _job(live, job_id).file_path is None
    with live.factory() as s:
        (following,) = s.scalars(
            select(Timer).where(Timer.kind == tasks.CLEANUP, Timer.fired_at.is_(None))
        ).all()
        assert following.due_at == live.clock.now + tasks.CLEANUP_EVERY


def test_only_the_owner_reads_a_job(live: Live) -> None:
    owner, other = _owner(live), _owner(live)
    job_id = _submit(live, owner)
    with live.factory() as s:
        assert [j.id for j in service.mine(s, owner)] == [job_id]
        assert service.mine(s, other) == []
        with pytest.raises(Exception, match="not found"):
            service.cancel(s, other, job_id, now=live.clock.now)


def test_jobs_that_ended_long_ago_are_forgotten_and_running_ones_kept(live: Live) -> None:
    owner = _owner(live)
    old_id = _submit(live, owner)
    _run(live, lambda ctx: JobOutcome(N_("Done.")))
    waiting_id = _submit(live, owner)
    with live.factory() as s:
        tasks.ensure_cleanup(s, live.clock.now)
        s.commit()
    live.clock.advance(days=live.settings.job_keep_days - 1)
    assert run_due(live.factory, live.clock.now, live.settings) == 1
    assert _job(live, old_id).state == JobState.DONE  # not old enough yet
    live.clock.advance(days=2)
    assert run_due(live.factory, live.clock.now, live.settings) == 1
    with live.factory() as s:
        assert s.get(Job, old_id) is None
        assert s.get_one(Job, waiting_id).state == JobState.QUEUED  # never started: kept
