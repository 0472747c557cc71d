"""The commit-msg hook (tools/commit_subject.py)."""

from tools.commit_subject import MAX_SUBJECT, main, problems


def test_a_short_subject_with_a_body_passes():
    assert problems("verify: check re-runs within tolerance\n\nWhy it matters.\n# comment\n") == []


def test_a_long_subject_or_a_missing_blank_line_fails(tmp_path):
    assert problems("x" * (MAX_SUBJECT + 1))[0].startswith("the subject has 73 characters")
    assert problems("subject\nbody right away") == [
        "the second line must be blank (subject, blank line, body)"
    ]
    assert problems("# only a comment\n") == ["the subject (first line) is empty"]
    message = tmp_path / "MSG"
    message.write_text("y" * 100)
    assert main([str(message)]) == 1
