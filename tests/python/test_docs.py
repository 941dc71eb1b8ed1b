"""The documentation against the tree and the binary.

(a) Every relative link (and image) in README.md, docs/*.md, results/**/README.md and the
    READMEs of models/pretrained/ and tests/python/ points to a file or folder that exists in
    the repository, and a link's #anchor into a Markdown file names one of its headings.
(b) Every line of a fenced code block in docs/*.md that starts with `micronet ` or
    `build/bin/micronet ` names a command that `micronet --help` lists, and every --flag in it
    appears in `micronet COMMAND --help` (`micronet --help` for a line without a command).
    Lines continued with a trailing backslash are joined; a shell operator (&&, |, ;, >) ends
    the command; a line holding `# not-checked` is left out (for a different executable that
    only looks alike). Skipped when the binary is not built (MICRONET_BIN, default
    build/bin/micronet, as the other CLI tests).
"""
import re
import shlex
import subprocess

import pytest

from conftest import REPO

LINKED_FILES = sorted(
    [REPO / "README.md"]
    + list((REPO / "docs").glob("*.md"))
    + list((REPO / "results").glob("**/README.md"))
    + [REPO / "models" / "pretrained" / "README.md", REPO / "tests" / "python" / "README.md"])

FENCE = re.compile(r"^\s*(```|~~~)")
# [text](target "title") and ![alt](target); text may hold one level of brackets.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^\s()<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
HELP_FLAG = re.compile(r"(?<![\w-])--[A-Za-z0-9][\w-]*")
SHELL_OPERATOR = re.compile(r"^[();<>|&]+$")


def prose_lines(text, keep_code=False):
    """(line number, line) outside fenced code blocks, inline code spans removed unless
    keep_code."""
    in_fence = False
    for n, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield n, line if keep_code else re.sub(r"`[^`]*`", "", line)


def code_lines(text):
    """(line number, logical line) of fenced code blocks, backslash continuations joined."""
    in_fence, pending, start = False, "", 0
    for n, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_fence, pending = not in_fence, ""
            continue
        if not in_fence:
            continue
        if not pending:
            start = n
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""


def slug(heading):
    """GitHub's anchor of a Markdown heading."""
    s = re.sub(r"`([^`]*)`", r"\1", heading.strip().lower())
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(md_file):
    seen, out = {}, set()
    for _, line in prose_lines(md_file.read_text(), keep_code=True):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            base = slug(m.group(1))
            k = seen.get(base, 0)
            out.add(base if k == 0 else "%s-%d" % (base, k))
            seen[base] = k + 1
    return out


def links(md_file):
    for n, line in prose_lines(md_file.read_text()):
        for m in INLINE_LINK.finditer(line):
            yield n, m.group(1)
        m = REFERENCE_DEF.match(line)
        if m:
            yield n, m.group(1)


def test_the_link_checker_finds_links():
    """Guards (a) against a parser that silently matches nothing."""
    found = [t for f in LINKED_FILES if f.is_file() for _, t in links(f)]
    assert len(found) >= 30, found
    assert any(t.startswith("docs/") for t in found), found


@pytest.mark.parametrize("md_file", LINKED_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_point_to_existing_files(md_file):
    assert md_file.is_file(), "%s is missing" % md_file.relative_to(REPO)
    bad = []
    for n, target in links(md_file):
        if SCHEME.match(target):
            continue  # http(s), mailto: not checked here
        path_part, _, anchor = target.partition("#")
        where = "%s:%d: %s" % (md_file.relative_to(REPO), n, target)
        dest = md_file if not path_part else (md_file.parent / path_part).resolve()
        if dest != md_file and REPO.resolve() not in dest.parents and dest != REPO.resolve():
            bad.append(where + " (outside the repository)")
        elif not dest.exists():
            bad.append(where + " (no such file or folder)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(where + " (no heading with that anchor in %s)" % dest.name)
    assert not bad, "broken links:\n" + "\n".join(bad)


def documented_commands():
    """(where, tokens after the program name) of every micronet line in docs/*.md code blocks."""
    out = []
    for md_file in sorted((REPO / "docs").glob("*.md")):
        for n, line in code_lines(md_file.read_text()):
            s = line.strip()
            if not s.startswith(("micronet ", "build/bin/micronet ")) or "# not-checked" in s:
                continue
            lex = shlex.shlex(s, posix=True, punctuation_chars=True)
            lex.whitespace_split = True
            tokens = []
            for t in lex:  # shlex drops the # comment
                if SHELL_OPERATOR.match(t):
                    break
                tokens.append(t)
            out.append(("docs/%s:%d: %s" % (md_file.name, n, s), tokens[1:]))
    return out


def test_docs_have_command_lines():
    """Guards (b) against a parser that silently matches nothing."""
    cmds = documented_commands()
    assert len(cmds) >= 40, [w for w, _ in cmds]
    assert any(t and t[0] == "compile" for _, t in cmds)


def help_text(micronet_bin, *args):
    r = subprocess.run([str(micronet_bin), *args, "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, "`micronet %s --help` failed (%d):\n%s" % (" ".join(args), r.returncode, r.stderr)
    return r.stdout + r.stderr


def listed_commands(top_help):
    lines = top_help.splitlines()
    starts = [i for i, l in enumerate(lines) if l.strip().lower().startswith(("subcommands", "commands"))]
    assert starts, "`micronet --help` lists no commands:\n" + top_help
    cmds = set()
    for l in lines[starts[0] + 1:]:
        m = re.match(r"^\s+([a-z][\w-]*)(\s|$)", l)
        if not m:
            if cmds:
                break
            continue
        cmds.add(m.group(1))
    assert cmds, "no commands parsed from `micronet --help`:\n" + top_help
    return cmds


def test_documented_commands_and_flags_exist(micronet_bin):
    top = help_text(micronet_bin)
    commands = listed_commands(top)
    flags = {None: set(HELP_FLAG.findall(top))}
    bad = []
    for where, tokens in documented_commands():
        if not tokens:
            continue
        cmd = None if tokens[0].startswith("-") else tokens[0]
        if cmd is not None and cmd not in commands:
            bad.append("%s\n    `%s` is not a command `micronet --help` lists (%s)"
                       % (where, cmd, ", ".join(sorted(commands))))
            continue
        for t in tokens[1 if cmd else 0:]:
            if t.startswith("--") and len(t) > 2:
                flag = t.split("=", 1)[0]
                if cmd not in flags:
                    flags[cmd] = set(HELP_FLAG.findall(help_text(micronet_bin, cmd)))
                if flag not in flags[cmd]:
                    bad.append("%s\n    %s is not in `micronet %s--help`" % (where, flag, cmd + " " if cmd else ""))
    assert not bad, "docs name commands or flags the binary does not accept:\n" + "\n".join(bad)
