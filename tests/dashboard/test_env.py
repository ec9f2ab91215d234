import pytest
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import env_bool, env_float, env_int, env_list, env_str, env_url


def test_missing_variables_take_their_defaults():
    assert env_str("X", "fallback", environ={}) == "fallback"
    assert env_bool("X", True, environ={}) is True
    assert env_int("X", 7, environ={}) == 7
    assert env_float("X", 1.5, environ={}) == 1.5
    assert env_list("X", ["a"], environ={}) == ["a"]


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)]
)
def test_booleans_accept_the_usual_spellings(raw, expected):
    assert env_bool("FLAG", not expected, environ={"FLAG": raw}) is expected


@pytest.mark.parametrize(
    ("reader", "raw"),
    [
        (lambda e: env_bool("FLAG", False, environ=e), "maybe"),
        (lambda e: env_int("FLAG", 1, environ=e), "ten"),
        (lambda e: env_int("FLAG", 1, minimum=0, environ=e), "-3"),
        (lambda e: env_float("FLAG", 1.0, maximum=5, environ=e), "9.5"),
        (lambda e: env_float("FLAG", 1.0, environ=e), "nan"),
        (lambda e: env_url("FLAG", "https://x", environ=e), "api.telnyx.com/v2"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(reader, raw):
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        reader({"FLAG": raw})


def test_lists_split_on_commas_and_drop_blanks():
    assert env_list("HOSTS", [], environ={"HOSTS": "a.example, b.example,,"}) == ["a.example", "b.example"]
