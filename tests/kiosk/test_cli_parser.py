"""``passkiosk COMMAND ...`` parses with only that command's parser (a one-shot command does not
build the others'): its help, its usage errors and its parsed options read exactly as with the
whole command line's parser; and its help formatter, which finds the terminal width without
``shutil``, formats as argparse's own."""

from __future__ import annotations

import argparse
import shutil

import pytest

from kiosk.cli import _parsers, build_parser, main
from kiosk.cli._parsers import COMMANDS, terminal_columns

PARSED = sorted(COMMANDS - {"service"})  # main() hands `service` to the service's own parser


def outcome(parser: argparse.ArgumentParser, argv: list[str],
            capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    """What parsing ``argv`` gives: the namespace (or exit status), stdout and stderr."""
    try:
        result: object = vars(parser.parse_args(argv))
    except SystemExit as exc:
        result = ("exit", exc.code)
    out, err = capsys.readouterr()
    return result, out, err


@pytest.mark.parametrize("command", PARSED)
def test_one_command_parser_reads_as_the_whole_one(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([command, "--help"], [command, "--no-such-option"], [command]):
        whole = outcome(build_parser(), argv, capsys)
        alone = outcome(build_parser(command), argv, capsys)
        assert alone == whole
        assert whole[1] or whole[2] or argv == [command]  # help or an error was printed


def test_parsed_options_are_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["verify", "--data", "/nowhere", "--now", "2026-01-02T03:04:05", "PK1:x"]
    whole = outcome(build_parser(), argv, capsys)
    assert whole == outcome(build_parser("verify"), argv, capsys)
    assert isinstance(whole[0], dict) and whole[0]["now"] == 1767323045


def test_one_command_parser_knows_only_that_command(capsys: pytest.CaptureFixture[str]) -> None:
    result, _, err = outcome(build_parser("verify"), ["lookup", "--id", "x"], capsys)
    assert result == ("exit", 2) and "invalid choice" in err
    result, out, _ = outcome(build_parser(), ["--help"], capsys)
    assert result == ("exit", 0)
    assert all(command in out for command in COMMANDS)


def test_main_without_a_command_shows_the_whole_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'no-such-command'" in err and "'verify'" in err and "'sync'" in err


@pytest.mark.parametrize("columns", [None, "132", "47", "0", "-5", "wide", ""])
def test_terminal_width_is_the_one_shutil_gives(
        columns: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns


@pytest.mark.parametrize("columns", ["50", "100", "200"])
@pytest.mark.parametrize("command", [None, *PARSED])
def test_help_and_errors_read_as_with_argparse_own_formatter(
        command: str | None, columns: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    head = [] if command is None else [command]
    ours = [outcome(build_parser(command), [*head, *tail], capsys)
            for tail in (["--help"], ["--no-such-option"])]
    monkeypatch.setattr(_parsers, "HelpFormatter", argparse.HelpFormatter)
    plain = [outcome(build_parser(command), [*head, *tail], capsys)
             for tail in (["--help"], ["--no-such-option"])]
    assert ours == plain
    assert len(ours[0][1].splitlines()) > 1 and ours[1][2]  # help and an error were printed
