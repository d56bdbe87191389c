"""People's notification choices come with the people (one query) and are read separately only for someone that
query did not cover; a choice saved in the transaction is seen by the notices recorded after it."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import col, select

from service.db.engine import get_engine
from service.db.session import open_session, unit_of_work
from service.identity.tokens import authenticate
from service.models import NotificationPreference, User
from service.notifications import preferences, recipients
from service.notifications.kinds import Kind
from service.notifications.produce import deliveries


def test_choices_arrive_with_the_people_and_a_choice_saved_later_is_seen(db_url: str, tokens: dict[str, str]) -> None:
    statements: list[str] = []
    engine = get_engine(db_url)

    def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        statements.append(sql)

    with unit_of_work(url=db_url) as session:
        principal = authenticate(session, tokens["business_manager"])
        pid = principal.partnership_id
        session.add(
            NotificationPreference(
                partnership_id=pid, user_id=principal.user_id, kind="task_available", delivery="digest"
            )
        )
        session.flush()
        people = recipients.principals(session, pid)
        ids = [p.user_id for p in people]
        assert principal.user_id in ids
        event.listen(engine, "before_cursor_execute", count)
        try:
            chosen = deliveries(session, ids, Kind.TASK_AVAILABLE, pid)
            assert not [s for s in statements if "notification_preference" in s]  # came with the people
            assert chosen[principal.user_id] == "digest"
            assert {d for u, d in chosen.items() if u != principal.user_id} == {"immediate"}
            # Someone the people query did not cover (here: a deactivated user) is read, not guessed.
            away = session.exec(select(User).where(col(User.id).not_in(ids), User.partnership_id == pid)).first()
            if away is None:
                away = User(partnership_id=pid, name="Away", email="away@example.org", roles=[], active=False)
                session.add(away)
                session.flush()
            session.add(
                NotificationPreference(partnership_id=pid, user_id=away.id, kind="task_available", delivery="off")
            )
            session.flush()  # a choice saved in the transaction: the remembered ones are forgotten
            statements.clear()
            assert deliveries(session, [away.id, principal.user_id], Kind.TASK_AVAILABLE, pid) == {
                away.id: "off",
                principal.user_id: "digest",
            }
            assert [s for s in statements if "notification_preference" in s]
        finally:
            event.remove(engine, "before_cursor_execute", count)
        session.rollback()


def test_without_the_people_query_everyone_s_choices_are_read_once(db_url: str, tokens: dict[str, str]) -> None:
    with unit_of_work(url=db_url) as session:
        principal = authenticate(session, tokens["business_manager"])
        pid = principal.partnership_id
        session.add(NotificationPreference(partnership_id=pid, user_id=principal.user_id, kind="chase", delivery="off"))
        session.flush()
        assert preferences.chosen(session, pid, [principal.user_id], Kind.CHASE) == {principal.user_id: "off"}
        assert preferences.chosen(session, pid, [principal.user_id], Kind.TASK_OVERDUE) == {}
        session.rollback()


def test_what_a_transaction_read_about_people_is_read_again_by_the_next_on_the_same_session(
    db_url: str, tokens: dict[str, str]
) -> None:
    # A session may outlive its transaction (commit, then go on): the people, their choices and the
    # partnership's notification settings are remembered for one transaction only.
    with unit_of_work(url=db_url) as session:
        pid = authenticate(session, tokens["business_manager"]).partnership_id
    session = open_session(write=True, url=db_url)
    try:
        before = {p.user_id for p in recipients.principals(session, pid)}
        someone = next(iter(before))
        assert deliveries(session, [someone], Kind.TASK_AVAILABLE, pid) == {someone: "immediate"}
        session.commit()
        with unit_of_work(url=db_url) as other:  # meanwhile, elsewhere: one leaves, and chooses no more mail
            user = other.get(User, someone)
            assert user is not None
            user.active = False
            other.add(
                NotificationPreference(partnership_id=pid, user_id=someone, kind="task_available", delivery="off")
            )
        assert {p.user_id for p in recipients.principals(session, pid)} == before - {someone}
        assert deliveries(session, [someone], Kind.TASK_AVAILABLE, pid) == {someone: "off"}
    finally:
        session.rollback()
        session.close()
