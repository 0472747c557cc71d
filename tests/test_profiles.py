"""The profile table: complete, read-only, and strict about names."""

import pytest

from helpers import profiles
from helpers.profiles import PROFILE_NAMES, UnknownProfileError, get_profile


def test_every_profile_has_every_key():
    keys = {frozenset(get_profile(name)) for name in PROFILE_NAMES}
    assert len(keys) == 1


@pytest.mark.parametrize("name", ["", "Default", "fast", "default; rm -rf /"])
def test_unknown_profile_is_a_clear_error(name):
    with pytest.raises(UnknownProfileError, match="choose one of smoke, default, full"):
        get_profile(name)


def test_rows_are_read_only():
    with pytest.raises(TypeError):
        get_profile("default")["scratch_epochs"] = 1


def test_smoke_is_smallest_and_full_is_the_original_scale():
    smoke, default, full = (get_profile(n) for n in PROFILE_NAMES)
    for key, value in default.items():
        if isinstance(value, int) and isinstance(smoke[key], int):
            assert smoke[key] <= value <= full[key], key
    assert full["mnist_pool"] == "train+t10k"
    assert default["mnist_pool"] == "t10k"
    assert (full["grid_folds"], full["grid_epochs"]) == (5, 100)
    assert (default["fashion_n_train"], default["fashion_n_test"]) == (8_000, 2_000)


def test_markdown_table_lists_every_key():
    table = profiles.as_markdown_table()
    for key in get_profile("default"):
        assert f"`{key}`" in table


def test_readme_shows_the_current_table():
    from helpers.paths import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- profiles:start -->")[1].split("<!-- profiles:end -->")[0]
    assert profiles.as_markdown_table() in block, "README profile table is stale"
