"""flask-login over server-side sessions.

The cookie holds only a random session id (signed by Flask); the session row decides
whether it is live, so logout, idle and absolute timeouts, and disabling an account take
effect on the very next request.
"""

from __future__ import annotations

from flask import Flask, session
from flask_login import LoginManager, UserMixin

from gateway.accounts import service as accounts
from gateway.accounts.models import User
from gateway.http import runtime

login_manager = LoginManager()


class SessionUser(UserMixin):
    def __init__(self, user: User, session_id: str) -> None:
        self.user = user
        self.session_id = session_id

    def get_id(self) -> str:
        return self.session_id


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.session_protection = None  # the server-side session row is the protection
    login_manager.login_message = "Sign in to continue."

    @login_manager.user_loader
    def load(session_id: str) -> SessionUser | None:
        user = accounts.user_for_session(runtime(), session_id)
        return SessionUser(user, session_id) if user else None


def rotate_session() -> None:
    """Drop everything from before sign-in so a planted cookie cannot be carried over."""
    session.clear()
