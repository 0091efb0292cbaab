"""`hoso users`: who may do what, and their web passwords."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from pipeline.cli.common import (
    JsonFlag,
    context_of,
    out,
    print_json,
    reported,
    users_app,
)
from pipeline.errors import InvalidInput
from pipeline.jobs import (
    accounts,
    approval,
)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidInput("The two passwords differ; nothing was changed.")
    return first


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[str, typer.Option(help="clerk, officer, archivist or admin")],
    password: Annotated[
        bool, typer.Option("--password", help="ask for a web password (or read it with --stdin)")
    ] = False,
    stdin: Annotated[bool, typer.Option("--stdin", help="read the password from stdin")] = False,
) -> None:
    """Register a user with a role (or change their role); --password lets them log in."""
    with reported():
        c = context_of(ctx)
        secret = _read_password(stdin) if password or stdin else None
        approval.add_user(c.db, name, role, c.user)
        if secret is not None:
            accounts.set_password(c.db, name, secret, c.user)
        out.print(f"{name}: {role}", highlight=False)


@users_app.command("password")
def users_password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="user name")],
    stdin: Annotated[bool, typer.Option("--stdin", help="read the password from stdin")] = False,
) -> None:
    """Set a user's web password (their open sessions end)."""
    with reported():
        c = context_of(ctx)
        accounts.set_password(c.db, name, _read_password(stdin), c.user)
        out.print(f"{name}: password set", highlight=False)


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Users and roles."""
    with reported():
        users = approval.list_users(context_of(ctx).db)
        if as_json:
            print_json(users)
            return
        for u in users:
            out.print(f"{u['name']}: {u['role']}", highlight=False)
