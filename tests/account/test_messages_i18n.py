"""Service messages rendered in French: placeholders filled, zxcvbn's hint translated."""

from __future__ import annotations

from exstrat_app.i18n import render
from exstrat_app.services.auth.passwords import password_problem
from exstrat_app.services.auth.reauth import too_many_message

NBSP = "\u00a0"


def test_a_weak_password_and_its_hint_in_french() -> None:
    problem = password_problem("asdfghjkl;")
    assert problem is not None
    assert render(problem, "fr").startswith("Ce mot de passe est trop")
    assert "clavier" in render(problem, "fr")  # zxcvbn's keyboard hint, ours in French
    assert str(problem).startswith("This password is too")  # the English stays the source


def test_a_short_password_in_french() -> None:
    problem = password_problem("short")
    assert render(problem, "fr") == f"Le mot de passe doit faire au moins 10{NBSP}caractères."
    assert problem == "Password must be at least 10 characters."


def test_the_password_lock_counts_minutes_in_french() -> None:
    assert f"bloquées pendant 1{NBSP}minute." in render(too_many_message(30), "fr")
    assert f"bloquées pendant 5{NBSP}minutes." in render(too_many_message(290), "fr")
    assert "locked for 5 minutes." in too_many_message(290)
