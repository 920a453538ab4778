"""The gridflow command fails in one line a person can act on, with a non-zero exit."""

from click.testing import CliRunner

from streams.cli import main

PRODUCTION_WITHOUT_SECRET = {"GRIDFLOW_ENV": "production", "GRIDFLOW_SECRET_KEY": ""}


def test_a_missing_secret_is_one_line_not_a_traceback():
    result = CliRunner().invoke(main, ["open311", "add-client", "x"], env=PRODUCTION_WITHOUT_SECRET)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output == "Error: GRIDFLOW_SECRET_KEY must be set outside development\n"


def test_a_misspelt_setting_is_named_with_the_nearest_one():
    result = CliRunner().invoke(main, ["open311", "add-client", "x"],
                                env={"GRIDFLOW_LOGIN_RATE_PER_MINUT": "5"})  # fmt: skip
    assert result.exit_code == 1
    assert "did you mean GRIDFLOW_LOGIN_RATE_PER_MINUTE?" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_traceback_is_there_when_asked_for():
    result = CliRunner().invoke(main, ["--traceback", "open311", "add-client", "x"],
                                env=PRODUCTION_WITHOUT_SECRET)  # fmt: skip
    assert type(result.exception).__name__ == "ConfigError"
