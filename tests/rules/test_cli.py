"""The ``chaperone check`` / ``chaperone protocols`` commands, run as real subprocesses."""

from __future__ import annotations

import json

from tests.rules.helpers import BASE, cli

W = BASE["werrington-primary"]


def test_check_file_argument(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(W))
    proc = cli("check", "--protocol", "werrington-primary", str(path))
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["outcome"] == "allowed"
    assert out["protocol"] == {"id": "werrington-primary", "version": "2026.1"}
    assert all({"code", "effect", "rule", "remedy", "rule_id"} <= set(f) for f in out["findings"])


def test_check_protocol_given_as_path(tmp_path):
    from importlib import resources

    src = resources.files("chaperone.rules.templates") / "habs-monmouth.toml"
    path = tmp_path / "habs.toml"
    path.write_text(src.read_text())
    proc = cli("check", "--protocol", str(path), "-", stdin=json.dumps(BASE["habs-monmouth"]))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["outcome"] == "allowed"


def test_check_unknown_protocol():
    proc = cli("check", "--protocol", "nowhere-high", "-", stdin=json.dumps(W))
    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "unknown_protocol" and error["field"] == "protocol"


def test_check_invalid_protocol_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('id = "x"\n')
    proc = cli("check", "--protocol", str(path), "-", stdin=json.dumps(W))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "invalid_protocol"


def test_check_jsonl_with_a_malformed_line(tmp_path):
    lines = [
        json.dumps(W),
        "{broken",
        json.dumps({**W, "waiting_room": False}),
        json.dumps({**W, "pupils": [{"age": "x"}]}),
        json.dumps(W),
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    proc = cli("check", "--protocol", "werrington-primary", "--jsonl", str(path))
    assert proc.returncode == 2
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 5
    assert out[0]["outcome"] == "allowed" and out[4]["outcome"] == "allowed"
    assert out[1]["error"]["code"] == "malformed_json"
    assert out[2]["outcome"] == "refused"
    assert out[3]["error"]["field"] == "pupils.0.age"


def test_check_jsonl_stdin_all_good():
    stdin = json.dumps(W) + "\n" + json.dumps({**W, "recording": True}) + "\n"
    proc = cli("check", "--protocol", "werrington-primary", "--jsonl", "-", stdin=stdin)
    assert proc.returncode == 0
    assert [json.loads(x)["outcome"] for x in proc.stdout.splitlines()] == ["allowed", "refused"]


def test_check_usage_error_is_json():
    proc = cli("check")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "usage"


def test_protocols_list_show_schema():
    proc = cli("protocols", "list")
    assert proc.returncode == 0
    ids = proc.stdout.split()
    assert {"werrington-primary", "habs-monmouth", "npat-one-to-one"} <= set(ids)
    listed = json.loads(cli("protocols", "list", "--json").stdout)
    assert {row["id"] for row in listed} == set(ids)
    show = cli("protocols", "show", "npat-one-to-one")
    assert show.returncode == 0 and "retention: 20 days" in show.stdout
    shown = json.loads(cli("protocols", "show", "habs-monmouth", "--json").stdout)
    assert shown["windows"]["lunchtime"]["start"] == "12:30"
    schema = json.loads(cli("protocols", "schema").stdout)
    assert schema["title"] == "Protocol"


def test_protocols_validate(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "b"\ntitle = "B"\nversion = "1"\neffective = 2026-01-01\nreview = 2027-01-01\n'
        'platforms = ["teams"]\nowner = { kind = "school", name = "B" }\n'
        '[[rules]]\nid = "r1"\ncode = "NOPE"\neffect = "refuse"\ntext = "t"\n'
    )
    proc = cli("protocols", "validate", str(bad))
    assert proc.returncode == 2
    assert "rule 'r1': code: unknown code 'NOPE'" in proc.stdout
    assert "rule 'r1': remedy:" in proc.stdout
    overlay = tmp_path / "school.toml"
    overlay.write_text(
        'extends = "npat-one-to-one"\nid = "s"\ntitle = "S"\nversion = "1"\n'
        'effective = 2026-01-01\nreview = 2027-01-01\nowner = { kind = "school", name = "S" }\n'
        '[raise_effect]\nrecorded = "info"\n'
    )
    proc = cli("protocols", "validate", str(overlay), "--base", "npat-one-to-one")
    assert proc.returncode == 2
    assert "rule 'recorded': effect: lowering refuse to info" in proc.stdout
    overlay.write_text(overlay.read_text().replace('"info"', '"refuse"'))
    proc = cli("protocols", "validate", str(overlay), "--base", "npat-one-to-one")
    assert proc.returncode == 0, proc.stdout


def test_protocols_diff_text_and_json():
    proc = cli("protocols", "diff", "werrington-primary", "habs-monmouth")
    assert proc.returncode == 0
    assert "- rule waiting-room" in proc.stdout
    data = json.loads(
        cli("protocols", "diff", "werrington-primary", "habs-monmouth", "--json").stdout
    )
    assert "teams-only" in data["rules"]["added"]
    assert data["platforms"] == {"added": [], "removed": ["zoom"]}


def test_protocols_render_to_file(tmp_path):
    out = tmp_path / "w.html"
    proc = cli("protocols", "render", "werrington-primary", "--audience", "parent", "-o", str(out))
    assert proc.returncode == 0
    assert out.read_text().startswith("<!doctype html>")
    text = cli("protocols", "render", "npat-one-to-one", "--format", "text")
    assert "Version 2026.1" in text.stdout


def test_check_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(W).encode())
    proc = cli("check", "--protocol", "werrington-primary", str(path))
    assert proc.returncode == 0, proc.stdout
    lines = tmp_path / "r.jsonl"
    lines.write_bytes(b"\xef\xbb\xbf" + (json.dumps(W) + "\n").encode() * 2)
    proc = cli("check", "--protocol", "werrington-primary", "--jsonl", str(lines))
    assert proc.returncode == 0, proc.stdout
    assert [json.loads(x)["outcome"] for x in proc.stdout.splitlines()] == ["allowed"] * 2


def _deep(levels: int) -> str:
    return "a = " + "[" * levels + "1" + "]" * levels + "\n"


def test_unreadable_protocol_files_are_one_json_error(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text(_deep(3000))
    tables = tmp_path / "tables.toml"
    tables.write_text("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('title = "Café"\n'.encode("latin-1"))
    for path, problem in (
        (deep, "nested too deeply"),
        (tables, "nested too deeply"),
        (latin, "not UTF-8"),
    ):
        proc = cli("check", "--protocol", str(path), "-", stdin=json.dumps(W))
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == ""
        [line] = proc.stdout.splitlines()
        error = json.loads(line)["error"]
        assert error["code"] == "invalid_protocol" and error["field"] == "protocol"
        assert problem in error["message"]
        proc = cli("protocols", "validate", str(path))
        assert proc.returncode == 2 and problem in proc.stdout and not proc.stderr
