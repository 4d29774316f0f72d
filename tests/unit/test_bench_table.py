"""bench.all's table on made-up figures: targets met or not, missing figures, failed and skipped
benchmarks, and the exit status they lead to. No timing: the figures are given."""

from __future__ import annotations

from bench.all import last_words, parse
from bench.common import MARKER, emit, run_flags
from bench.rows import ROWS
from bench.table import Bound, Outcome, Ratio, Row, markdown, table

TELEGRAM = Row(
    "Telegram",
    "telegram",
    "parley",
    "/s",
    (("bare", "bare"), ("aiogram alone", "aiogram")),
    (Ratio("bare", "bare", at_least=0.5),),
)
COMMANDS = Row("Redis commands per turn", "scale", "commands_per_turn", "", (), (Bound(at_most=12),))
LATENCY = Row(
    "Web chat p99 at half load",
    "webchat",
    "parley_p99_half_ms",
    "ms",
    (("bare", "bare_p99_half_ms"),),
    (Ratio("bare_p99_half_ms", "bare", at_most=2.0),),
    missing="no rate mode",
)


def test_a_ratio_target_is_met_at_the_bound_and_not_below_it():
    met, missed = table(
        [TELEGRAM],
        {"telegram": Outcome({"parley": 1000.0, "bare": 2000.0, "aiogram": 800.0})},
    ) + table([TELEGRAM], {"telegram": Outcome({"parley": 999.0, "bare": 2000.0, "aiogram": 800.0})})
    assert (met.met, missed.met) == ("yes", "no")
    assert met.parley == "1,000/s"
    assert met.baselines == "bare 2,000/s; aiogram alone 800/s"
    assert met.ratio == "0.50x bare; 1.25x aiogram alone"
    assert met.target == ">= 0.5x bare"
    assert not met.failed and not missed.failed


def test_an_upper_bound_and_a_latency_ratio_are_met_only_below_them():
    lines = table(
        [COMMANDS, LATENCY],
        {
            "scale": Outcome({"commands_per_turn": 12.5}),
            "webchat": Outcome({"parley_p99_half_ms": 30, "bare_p99_half_ms": 20}),
        },
    )
    assert [x.met for x in lines] == ["no", "yes"]
    assert lines[0].target == "<= 12"
    assert lines[1].ratio == "1.50x bare"
    assert table([COMMANDS], {"scale": Outcome({"commands_per_turn": 7.0})})[0].met == "yes"


def test_a_failed_benchmark_fails_the_run_and_a_skipped_one_or_a_missing_mode_does_not():
    lines = table(
        [TELEGRAM, COMMANDS, LATENCY],
        {
            "telegram": Outcome({}, error="bench/telegram.py exit 1: KeyError: 'rate'"),
            "scale": Outcome({}, skipped="needs wrk"),
            "webchat": Outcome({"parley": 900.0}),
        },
    )
    assert lines[0].met == "error: bench/telegram.py exit 1: KeyError: 'rate'" and lines[0].failed
    assert lines[1].met == "skipped: needs wrk" and not lines[1].failed
    assert lines[2].met == "skipped: no rate mode" and not lines[2].failed


def test_a_figure_or_a_baseline_a_benchmark_forgot_is_an_error():
    no_figure = table([COMMANDS], {"scale": Outcome({"round_trips_per_turn": 3.0})})[0]
    no_baseline = table([TELEGRAM], {"telegram": Outcome({"parley": 900.0, "aiogram": 800.0})})[0]
    not_run = table([TELEGRAM], {})[0]
    assert no_figure.failed and "reported no commands_per_turn" in no_figure.met
    assert no_baseline.failed and no_baseline.ratio == "1.12x aiogram alone"
    assert not_run.met == "error: not run"


def test_the_markdown_table_has_one_line_per_row_under_the_header():
    text = markdown(table([TELEGRAM, COMMANDS], {"scale": Outcome({"commands_per_turn": 7.0})}))
    lines = text.splitlines()
    assert lines[0] == "| path | Parley | baseline(s) | ratio | target | met? |"
    assert lines[3] == "| Redis commands per turn | 7.00 | - | - | <= 12 | yes |"
    assert len(lines) == 4


def test_what_a_benchmark_emits_is_what_bench_all_parses(capsys):
    argv = ["bench/x.py", "--quick", "500", "--json"]
    flags = run_flags(argv)
    assert (flags.quick, flags.json, argv) == (True, True, ["bench/x.py", "500"])
    emit(flags, "x", {"parley": 12.5, "bare": 20})
    emit(run_flags(["bench/x.py"]), "x", {"parley": 1.0})  # without --json: nothing printed
    out = "the human table\n" + capsys.readouterr().out
    assert out.count(MARKER) == 1
    assert parse(out) == {"parley": 12.5, "bare": 20.0}
    assert parse("no marker here") is None
    assert last_words("", "Traceback ...\nValueError: bad | input\n") == "ValueError: bad / input"


def test_every_row_names_a_benchmark_bench_all_runs():
    from bench.all import JOBS

    assert {r.bench for r in ROWS} <= {j.bench for j in JOBS}


def test_a_missing_tool_skips_a_benchmark_and_a_missing_program_is_an_error():
    from bench.all import Job, run

    skipped = run(Job("slack", 1, ("no-such-program-here",)), quick=True)
    missing = run(Job("no_such_benchmark", 1), quick=True)
    assert skipped.skipped.startswith("needs no-such-program-here") and not skipped.error
    assert missing.error == "bench/no_such_benchmark.py is missing"
