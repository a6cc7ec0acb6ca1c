"""在线咨询 (云南省政务信息查询在线解答管理办法): the published answers, asking online with the 咨询编号
and the 查询码, a published question's page, and the asker's own page opened with the 查询码.

The 查询码 never travels in an address: the look-up is posted, and what it opens is kept in this
browser's signed session (as 我的申请 keeps an application, webapp/portal/track.py)."""

from __future__ import annotations

import secrets

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask import session as cookie
from sqlalchemy import func, or_, select

from engine import search as index
from engine.errors import InvalidState, NotFound, SunhallError
from engine.models import Question
from engine.models.qa import QUESTION_STATES
from engine.paging import Order, fetch
from engine.qa import faq
from engine.qa import service as qa
from engine.service import public
from rules import complaints

from ..db import db_session
from ..paging import CURSOR_ARGS, links
from . import PER_PAGE, _page_number, _row_id, bp
from .faq import checked_cursor

GRANTS = "questions"  # the questions this browser opened with their 查询码 (ids)
RECEIPT = "question_receipt"  # the receipt to show once: {"id", "number", "code"}
TOKENS = "ask_tokens"  # one submission of the form makes one question: token -> question id
MAX_GRANTS = 10
#: 是否同意公开, as posted
CONSENT = {"1": True, "0": False}
#: the ask form's inputs in the order they are on the page (the service's field names are the inputs' names)
INPUTS = ("form", "department_id", "title", "content", "name", "phone", "email", "consent_public")


def grant(question_id: int) -> None:
    held = [i for i in cookie.get(GRANTS, []) if i != question_id]
    cookie[GRANTS] = (held + [question_id])[-MAX_GRANTS:]


def granted(question_id: int) -> bool:
    return question_id in cookie.get(GRANTS, [])


def _granted_question(number: str) -> Question:
    """The question of this number if this browser opened it with its 查询码; else to the look-up."""
    for question_id in cookie.get(GRANTS, []):
        try:
            question = qa.get(db_session(), question_id)
        except NotFound:  # gone since
            continue
        if question.number == number:
            return question
    abort(redirect(url_for("portal.question_lookup")))


# --- the list --------------------------------------------------------------------------------------

#: the list's order, newest answer first (engine.qa.service.public_questions); a closed question has its answered_at
NEWEST_ANSWER = (Order(func.coalesce(Question.answered_at, Question.asked_at), desc=True), Order(Question.id, desc=True))


def _search_links(page: int, pages: int) -> dict:
    """The pager of a keyword's results: the search index ranks them and pages by number (engine.search)."""
    args = {k: v for k, v in request.args.items() if k not in ("page", *CURSOR_ARGS)}
    return {"first": url_for("portal.questions", **args) if page > 1 else None,
            "prev": url_for("portal.questions", **args, page=page - 1) if page > 1 else None,
            "next": url_for("portal.questions", **args, page=page + 1) if page < pages else None}


def _published_page(session, keyword: str, item=None) -> tuple[list[Question], int, dict]:
    """(questions, total, pager links): by the search index when a keyword is given, else newest
    first; an item's questions (few) with every word of the keyword in their title or content."""
    if keyword and item is None:
        results = index.query(session, keyword, source="qa", page=_page_number(), per_page=PER_PAGE)
        numbers = [hit.ref for hit in results.hits]
        found = {q.number: q for q in session.scalars(qa.public_questions(session).where(
            Question.number.in_(numbers)))} if numbers else {}
        return [found[n] for n in numbers if n in found], results.total, _search_links(results.page, results.pages)
    stmt = (qa.public_questions(session) if item is None else faq.questions_about(session, item)).order_by(None)
    if item is not None:
        for word in keyword.split():
            stmt = stmt.where(or_(Question.title.contains(word, autoescape=True),
                                  Question.content.contains(word, autoescape=True)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = fetch(session, stmt, NEWEST_ANSWER, lambda q: [q.answered_at or q.asked_at, q.id], size=PER_PAGE,
                 scalars=True, **checked_cursor(NEWEST_ANSWER))
    return page.rows, total, links(page)


@bp.get("/questions")
def questions():
    """在线咨询: the answers departments published, newest first, with a keyword filter; ``?item=``
    the questions about one item (its 网上咨询 links here)."""
    session = db_session()
    keyword = index.clean_query(request.args.get("q", ""))
    item = _asked_item()
    rows, total, pages = _published_page(session, keyword, item)
    return render_template("portal/questions.html", rows=rows, total=total, pages=pages, q=keyword, item=item,
                           replies=qa.replies)


# --- asking ----------------------------------------------------------------------------------------

def _asked_item():
    """The item the question is about (``?item=`` from its 网上咨询, kept in the form), or None."""
    code = request.values.get("item", "")
    if not code:
        return None
    item = public.public_item(db_session(), code)
    if item is None:
        abort(404)
    return item


def _asking(form, item) -> qa.Asking:
    return qa.Asking(title=form.get("title", ""), content=form.get("content", ""), name=form.get("name", ""),
                     phone=form.get("phone") or None, email=form.get("email") or None,
                     consent_public=CONSENT.get(form.get("consent_public")),
                     department_id=None if item else _row_id(form.get("department_id")),
                     item_code=item.code if item else None, channel="web")


@bp.route("/questions/ask", methods=["GET", "POST"])
def question_ask():
    """我要咨询: to a department, to the 政府办 when the asker does not know which, or about an item."""
    session = db_session()
    item = _asked_item()
    context = dict(item=item, departments=[] if item else qa.answering_departments(session))
    if request.method == "GET":
        return render_template("portal/question_ask.html", values={}, field_errors={}, errors=[],
                               token=secrets.token_urlsafe(16), **context)
    f = request.form
    token = f.get("ask_token", "")
    done = cookie.get(TOKENS, {}).get(token) if len(token) < 64 else None
    if done:  # the same page posted again (a double click, 后退 and 提交)
        return redirect(url_for("portal.my_question", number=qa.get(session, done).number))
    try:
        question, code = qa.ask(session, _asking(f, item))
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        errors = exc.details.get("errors") or {exc.details.get("field") or "form": exc.message}
        errors = {(k if k in INPUTS else "form"): v for k, v in errors.items()}
        errors = {k: errors[k] for k in INPUTS if k in errors}
        return render_template("portal/question_ask.html", values=f, field_errors=errors, errors=list(errors.items()),
                               token=token, **context), exc.status
    cookie[TOKENS] = dict(list({**cookie.get(TOKENS, {}), token: question.id}.items())[-MAX_GRANTS:])
    grant(question.id)
    cookie[RECEIPT] = {"id": question.id, "number": question.number, "code": code}
    return redirect(url_for("portal.question_receipt"))


def _no_store(response):
    """A page with a 查询码 stays out of caches (a 后退 does not show it again)."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/questions/receipt")
def question_receipt():
    """咨询回执: the 咨询编号 and, this once, the 查询码; a reload shows the number only."""
    shown = cookie.get(RECEIPT)
    if not isinstance(shown, dict) or not granted(shown.get("id")):
        return redirect(url_for("portal.question_lookup"))
    question = qa.get(db_session(), shown["id"])
    code = shown.get("code")
    if code:
        cookie[RECEIPT] = {"id": question.id, "number": question.number}  # shown once
    turn = _open_turn(question)
    return _no_store(make_response(render_template("portal/question_receipt.html", question=question, code=code,
                                                   turn=turn)))


# --- reading ---------------------------------------------------------------------------------------

def _open_turn(question):
    try:
        return qa.current_turn(question)
    except InvalidState:
        return None


def _category_path(session, question) -> list:
    return faq.path(session, question.category_id) if question.category_id else []


@bp.get("/questions/<number>")
def question(number: str):
    """A published question: the question, each department's reply, the 逾期说明, and what happened when."""
    session = db_session()
    try:
        question = qa.public_question(session, number)
    except NotFound as exc:
        return render_template("portal/question_missing.html", message=exc.message), 404
    return render_template("portal/question.html", question=question, replies=qa.replies(question),
                           explanations=qa.explanations(question), timeline=qa.timeline(question),
                           categories=_category_path(session, question))


@bp.route("/questions/lookup", methods=["GET", "POST"])
def question_lookup():
    """查询我的咨询: the 咨询编号 and the 查询码 open the question in this browser, public or not."""
    if request.method == "GET":
        return render_template("portal/question_lookup.html", values={}, error=None)
    try:
        question = qa.find_by_code(db_session(), request.form.get("number", ""), request.form.get("query_code", ""))
    except NotFound as exc:
        return render_template("portal/question_lookup.html", values=request.form, error=exc.message), 404
    grant(question.id)
    return redirect(url_for("portal.my_question", number=question.number))


@bp.get("/questions/mine/<number>")
def my_question(number: str):
    """The asker's page: where the question is, until when, the replies, and complaints about them."""
    session = db_session()
    question = _granted_question(number)
    response = make_response(render_template(
        "portal/question_mine.html", question=question, state=QUESTION_STATES.get(question.state, question.state),
        turn=_open_turn(question), replies=qa.replies(question), explanations=qa.explanations(question),
        timeline=qa.timeline(question), complaints=complaints.about_question(session, question),
        COMPLAINT_STATES=complaints.STATES))
    return _no_store(response)


@bp.post("/questions/leave")
def leave_questions():
    """Close the questions opened in this browser (a shared computer)."""
    cookie.pop(GRANTS, None)
    cookie.pop(RECEIPT, None)
    flash("已退出。再次查看请输入咨询编号和查询码。")
    return redirect(url_for("portal.question_lookup"))
