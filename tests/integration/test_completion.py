# SPDX-License-Identifier: MIT
"""bash completion of ocivaultfs and ocivault-backup
(scripts/completion/ocivaultfs.bash; docs/workstation.md).  Each case
sources the file in a fresh bash, sets COMP_LINE, COMP_POINT, COMP_WORDS
and COMP_CWORD as bash's readline would (words split at white space and
at the characters of COMP_WORDBREAKS), calls the function and reads
COMPREPLY back.  No mount is needed; the option names are checked against
`ocivaultfs --help` and the man page."""

import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("OVFS_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(HERE))
BUILD_ROOT = os.environ.get("OVFS_BUILD_ROOT") or \
    os.path.join(SOURCE_ROOT, "build")
OCIVAULTFS = os.path.join(BUILD_ROOT, "ocivaultfs")
COMPLETION = os.path.join(SOURCE_ROOT, "scripts", "completion",
                          "ocivaultfs.bash")
MANPAGE = os.path.join(SOURCE_ROOT, "docs", "ocivaultfs.1")
WORDBREAKS = "\"'><=;|&(:"


def bash_words(line):
    """COMP_WORDS as bash makes them: white space separates words, each
    run of COMP_WORDBREAKS characters is a word of its own; a line ending
    in white space has an empty current word."""
    words, cur, brk = [], "", False
    for ch in line:
        if ch.isspace():
            if cur:
                words.append(cur)
            cur, brk = "", False
        elif ch in WORDBREAKS:
            if cur and not brk:
                words.append(cur)
                cur = ""
            cur += ch
            brk = True
        else:
            if brk:
                words.append(cur)
                cur = ""
            cur += ch
            brk = False
    words.append(cur)
    return words


def complete(func, line, env=None, cwd=None):
    """COMPREPLY of `func` for `line` (the cursor at its end)."""
    words = bash_words(line)
    script = 'source "$1"; shift\n' \
        'COMP_LINE=$1 COMP_POINT=${#1}; shift\n' \
        'COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n' \
        'COMPREPLY=()\n' + func + '\n' \
        'printf "%s\\0" "${COMPREPLY[@]}"\n'
    full_env = dict(os.environ)
    for k in ("OCI_CLI_CONFIG_FILE", "OCI_CONFIG_FILE"):
        full_env.pop(k, None)
    full_env.update(env or {})
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script,
                        "bash", COMPLETION, line] + words,
                       capture_output=True, text=True, env=full_env,
                       cwd=cwd, timeout=30)
    assert r.returncode == 0, r
    assert r.stderr == "", r.stderr
    out = r.stdout.split("\0")[:-1]
    return [] if out == [""] else out


def replaced(line, reply):
    """The line once bash put a reply in place of its current word."""
    return line[:len(line) - len(bash_words(line)[-1])] + reply


def help_options():
    r = subprocess.run([OCIVAULTFS, "--help"], capture_output=True,
                       text=True, timeout=30)
    names = set()
    for line in (r.stdout + r.stderr).splitlines():
        m = re.match(r"\s*(?:-[dVh]\s+)?-o\s+([a-z_][a-z_0-9]*)", line)
        if m:
            names.add(m.group(1))
    assert "config" in names and "allow_other" in names, names
    return names


def names_of(reply):
    return {c.rstrip("=") for c in reply}


@pytest.fixture
def fs():
    if not os.access(OCIVAULTFS, os.X_OK):
        pytest.skip("ocivaultfs is not built")
    return OCIVAULTFS


def test_option_names_are_those_of_help_and_man_page(fs):
    reply = complete("_ocivaultfs", fs + " -o ")
    assert names_of(reply) == help_options(), reply
    with open(MANPAGE, encoding="utf-8") as f:
        man = set(re.findall(r'^\.BI? "?\\-o ([a-z_]+)', f.read(), re.M))
    assert len(man) >= 20, man
    assert man <= names_of(reply), man - names_of(reply)
    # Those that take a value come with their "=".
    assert "config=" in reply and "profile=" in reply
    assert "max_threads=" in reply and "debug_http" in reply


def test_static_list_without_the_program(fs):
    # The program cannot be run: the built-in list, which must hold every
    # option of the help and the man page too.
    reply = complete("_ocivaultfs", "/nonexistent/ocivaultfs -o ")
    assert names_of(reply) >= help_options(), help_options() - \
        names_of(reply)


def test_option_prefix_and_after_commas(fs):
    assert complete("_ocivaultfs", fs + " -o pro") == ["profile="]
    assert complete("_ocivaultfs", fs + " -o ca") == ["cacert=",
                                                      "cache_ttl="]
    line = fs + " -o config=/x/config,cache_ttl=5,wri"
    (reply,) = complete("_ocivaultfs", line)
    assert replaced(line, reply) == fs + \
        " -o config=/x/config,cache_ttl=5,write_timeout="
    # -oNAME (libfuse takes it glued) too.
    line = fs + " -oprof"
    (reply,) = complete("_ocivaultfs", line)
    assert replaced(line, reply) == fs + " -oprofile="


def oci_config(path, sections):
    path.write_text("".join("[%s]\nuser=ocid1.user.oc1..a\nregion=us-"
                            "ashburn-1\n\n" % s for s in sections))
    return str(path)


def test_profiles_from_the_config_on_the_line(fs, tmp_path):
    cfg = oci_config(tmp_path / "config", ["DEFAULT", "PROD", "PROD-EU",
                                           "dev"])
    line = fs + " -o config=%s,profile=" % cfg
    assert [replaced(line, r) for r in complete("_ocivaultfs", line)] == \
        [line + p for p in ("DEFAULT", "PROD", "PROD-EU", "dev")]
    line = fs + " -o config=%s,profile=PR" % cfg
    assert [replaced(line, r) for r in complete("_ocivaultfs", line)] == \
        [line[:-2] + p for p in ("PROD", "PROD-EU")]
    # config= in another -o word counts too.
    line = fs + " -o config=%s -o profile=d" % cfg
    (reply,) = complete("_ocivaultfs", line)
    assert replaced(line, reply) == line + "ev"


def test_profiles_from_the_default_config(fs, tmp_path):
    home = tmp_path / "home"
    (home / ".oci").mkdir(parents=True)
    oci_config(home / ".oci" / "config", ["DEFAULT", "HOME"])
    env_cfg = oci_config(tmp_path / "env-config", ["ENV"])
    line = fs + " -o profile="
    got = [replaced(line, r) for r in
           complete("_ocivaultfs", line, env={"HOME": str(home)})]
    assert got == [line + "DEFAULT", line + "HOME"]
    got = [replaced(line, r) for r in
           complete("_ocivaultfs", line, env={"HOME": str(home),
                                              "OCI_CLI_CONFIG_FILE":
                                              env_cfg})]
    assert got == [line + "ENV"]
    # No config file: nothing, and no error.
    assert complete("_ocivaultfs", line,
                    env={"HOME": str(tmp_path / "nobody")}) == []


def test_paths_for_config_cacert_state_dir(fs, tmp_path):
    (tmp_path / "ca.pem").write_text("x")
    (tmp_path / "cfg").write_text("x")
    (tmp_path / "state").mkdir()
    d = str(tmp_path)
    line = fs + " -o cacert=%s/c" % d
    got = sorted(replaced(line, r) for r in complete("_ocivaultfs", line))
    assert got == [fs + " -o cacert=%s/ca.pem" % d,
                   fs + " -o cacert=%s/cfg" % d]
    line = fs + " -o endpoint=https://e,state_dir=%s/" % d
    got = [replaced(line, r) for r in complete("_ocivaultfs", line)]
    assert got == [line + "state/"], got


def test_mount_point_is_a_directory(fs, tmp_path):
    (tmp_path / "mnt").mkdir()
    (tmp_path / "mnt2").mkdir()
    (tmp_path / "mnt.txt").write_text("x")
    line = fs + " -o profile=PROD %s/mn" % tmp_path
    got = sorted(replaced(line, r) for r in complete("_ocivaultfs", line))
    assert got == [fs + " -o profile=PROD %s/mnt/" % tmp_path,
                   fs + " -o profile=PROD %s/mnt2/" % tmp_path]
    # Relative, in the current directory; and ~/ stays ~/.
    assert sorted(complete("_ocivaultfs", "ocivaultfs m",
                           cwd=str(tmp_path))) == ["mnt/", "mnt2/"]
    got = complete("_ocivaultfs", "ocivaultfs ~/mn",
                   env={"HOME": str(tmp_path)})
    assert sorted(got) == ["~/mnt/", "~/mnt2/"], got


def test_flags(fs):
    assert complete("_ocivaultfs", fs + " --v") == ["--version"]
    assert sorted(complete("_ocivaultfs", fs + " -")) == sorted(
        ["-o", "-f", "-d", "-s", "-V", "--version", "-h", "--help"])


def test_ocivault_backup(tmp_path):
    (tmp_path / "vaults").mkdir()
    (tmp_path / "vault.json").write_text("{}")
    assert complete("_ocivault_backup", "ocivault-backup --d") == \
        ["--dry-run"]
    assert sorted(complete("_ocivault_backup", "ocivault-backup -")) == \
        sorted(["-j", "--jobs", "-n", "--dry-run", "-q", "--quiet",
                "--gauge", "--interval", "-h", "--help"])
    # -j takes a number: nothing to offer.
    assert complete("_ocivault_backup", "ocivault-backup -j ",
                    cwd=str(tmp_path)) == []
    # TARGET first (a free word: only the URL forms' starts)...
    assert complete("_ocivault_backup", "ocivault-backup -j 4 va",
                    cwd=str(tmp_path)) == []
    line = "ocivault-backup -n o"
    assert [replaced(line, r) for r in
            complete("_ocivault_backup", line)] == ["ocivault-backup -n "
                                                    "oci://"]
    # ...then directories, as many as wanted.
    for line in ("ocivault-backup -j 4 backups va",
                 "ocivault-backup backups vaults/ va",
                 "ocivault-backup - --interval 2 va"):
        assert complete("_ocivault_backup", line,
                        cwd=str(tmp_path)) == ["vaults/"], line


def test_registered_for_both_commands():
    r = subprocess.run(["bash", "--norc", "-c",
                        'source "$1" && complete -p ocivaultfs '
                        '&& complete -p ocivault-backup', "bash",
                        COMPLETION], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r
    assert r.stdout == ("complete -F _ocivaultfs ocivaultfs\n"
                        "complete -F _ocivault_backup ocivault-backup\n")
