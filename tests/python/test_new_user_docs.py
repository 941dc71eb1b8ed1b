"""docs/config.md is the config schema as a user reads it (issue 29: it was only in a C++
header): its full example is a config the loader accepts with every field set, and its
tables list every field and row column the loader knows (taken from the loader's own
"unknown field" / "unknown column" messages, so a field added to the loader fails here
until the page has it).
"""
import json
import re

from conftest import REPO

PAGE = REPO / "docs" / "config.md"


def example():
    text = PAGE.read_text()
    section = text.split("## A full example", 1)[1]
    return json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1))


def documented_names(section=None):
    text = PAGE.read_text()
    if section:
        text = text.split("## " + section, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z0-9_]+)` \|", text, re.M))


def test_the_full_example_is_a_valid_config_with_every_field(cli, tmp_path):
    cfg = example()
    f = tmp_path / "example.json"
    f.write_text(json.dumps(cfg))
    r = cli("info", "--config", f, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["arch"] == cfg["name"]
    assert set(cfg) == documented_names("Top-level fields"), "the example and the table differ"
    used = set().union(*[set(row) for row in cfg["rows"]])
    assert used == documented_names("Row columns"), "the example's rows leave out %s" % (
        documented_names("Row columns") - used)


def test_the_tables_list_every_field_the_loader_knows(cli, tmp_path):
    cfg = example()
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(dict(cfg, zzz=1)))
    r = cli("info", "--config", f)
    assert r.returncode != 0
    known = re.search(r"unknown field \(known: ([^)]*)\)", r.stderr).group(1).split(", ")
    cfg["rows"][0]["zzz"] = 1
    f.write_text(json.dumps(cfg))
    r = cli("info", "--config", f)
    columns = re.search(r"the official columns: ([^;]*); extra: ([^)]*)\)", r.stderr)
    assert columns, r.stderr
    known += columns.group(1).split() + columns.group(2).split()
    missing = set(known) - documented_names()
    assert not missing, "docs/config.md does not document %s" % sorted(missing)
