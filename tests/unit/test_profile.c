/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/profile.c: OCI config files. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"
#include "tap.h"
#include "testutil.h"

#define T \
	"ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq"
#define U \
	"ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq"
#define U2 \
	"ocid1.user.oc1..bbbbbbbbt5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq"
#define FP "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
#define FP2 "11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff"
#define CFG "/home/u/.oci/config"

static void clear_env(void)
{
	unsetenv("OCI_CLI_CONFIG_FILE");
	unsetenv("OCI_CONFIG_FILE");
	unsetenv("OCI_CLI_PROFILE");
	unsetenv("OCI_REGION");
}

static int parse(struct profile *p, const char *text, const char *name,
		 char *why, size_t n)
{
	return profile_parse(p, text, strlen(text), CFG, name, why, n);
}

static void test_basic(void)
{
	struct profile p = PROFILE_INIT;
	char why[512] = "";
	int ret;
	const char *text = "[DEFAULT]\n"
			   "user=" U "\n"
			   "fingerprint = " FP "\n"
			   "key_file =   /keys/api.pem  \n"
			   "tenancy\t=\t" T "\n"
			   "region = us-ashburn-1\n";

	clear_env();
	ret = parse(&p, text, NULL, why, sizeof(why));
	is_int(ret, 0, "minimal DEFAULT profile: %s", why);
	is_str(p.path, CFG, "path");
	is_str(p.name, "DEFAULT", "name");
	is_str(p.user, U, "user");
	is_str(p.fingerprint, FP, "fingerprint");
	is_str(p.key_file, "/keys/api.pem", "key_file trimmed");
	is_str(p.tenancy, T, "tenancy (tab separated)");
	is_str(p.region, "us-ashburn-1", "region");
	ok(p.pass_phrase == NULL, "no pass_phrase");
	ok(p.security_token_file == NULL, "no security_token_file");
	is_int(p.line[PROFILE_USER], 2, "user on line 2");
	is_int(p.line[PROFILE_REGION], 6, "region on line 6");
	is_int(p.line[PROFILE_PASS_PHRASE], 0, "pass_phrase absent");
	profile_release(&p);
	ok(p.user == NULL && p.path == NULL && p.line[PROFILE_USER] == 0,
	   "released profile is empty");
	profile_release(&p);

	is_str(profile_key_name(PROFILE_KEY_FILE), "key_file", "key name");
	is_str(profile_key_name(PROFILE_SECURITY_TOKEN_FILE),
	       "security_token_file", "key name");
	is_str(profile_key_name(PROFILE_NKEYS), "?", "out of range key");
}

static void test_inheritance(void)
{
	struct profile p;
	char why[512] = "";
	int ret;
	const char *text = "[PROD]\n" /* 1 */
			   "user = " U2 "\n" /* 2 */
			   "region = phx\n" /* 3 */
			   "\n" /* 4 */
			   "[DEFAULT]\n" /* 5 */
			   "user = " U "\n" /* 6 */
			   "fingerprint = " FP "\n" /* 7 */
			   "key_file = /keys/api.pem\n" /* 8 */
			   "tenancy = " T "\n" /* 9 */
			   "region = us-ashburn-1\n" /* 10 */
			   "pass_phrase = from-default\n" /* 11 */
			   "[OTHER]\n" /* 12 */
			   "user = nonsense\n" /* 13 */
			   "user = twice in a profile we do not read\n"
			   "random line = ignored\n";

	clear_env();
	ret = parse(&p, text, "PROD", why, sizeof(why));
	is_int(ret, 0, "PROD loads: %s", why);
	is_str(p.name, "PROD", "name");
	is_str(p.user, U2, "own user wins");
	is_str(p.region, "phx", "own region wins, kept as written");
	is_str(p.tenancy, T, "tenancy inherited from DEFAULT");
	is_str(p.key_file, "/keys/api.pem", "key_file inherited");
	is_str(p.pass_phrase, "from-default", "pass_phrase inherited");
	is_int(p.line[PROFILE_USER], 2, "user line from PROD");
	is_int(p.line[PROFILE_TENANCY], 9, "tenancy line from DEFAULT");
	profile_release(&p);

	ret = parse(&p, text, "DEFAULT", why, sizeof(why));
	is_int(ret, 0, "DEFAULT of the same file");
	is_str(p.user, U, "DEFAULT user");
	is_str(p.region, "us-ashburn-1", "DEFAULT region");
	profile_release(&p);

	ret = parse(&p, text, "OTHER", why, sizeof(why));
	is_int(ret, -EINVAL, "duplicate key in OTHER");
	is_str(why,
	       "'" CFG
	       "' line 14: key 'user' is set twice in profile 'OTHER' (first on line 13)",
	       "duplicate key in the profile read");

	/* a profile without [DEFAULT] */
	ret = parse(&p,
		    "[A]\nuser=" U "\nfingerprint=" FP "\nkey_file=/k\n"
		    "tenancy=" T "\nregion=iad\n",
		    "A", why, sizeof(why));
	is_int(ret, 0, "profile without DEFAULT");
	profile_release(&p);

	/* an empty value in the profile hides DEFAULT's */
	ret = parse(&p,
		    "[DEFAULT]\nuser=" U "\nfingerprint=" FP "\nkey_file=/k\n"
		    "tenancy=" T "\nregion=iad\npass_phrase=secret\n"
		    "[B]\npass_phrase =\n",
		    "B", why, sizeof(why));
	is_int(ret, 0, "empty pass_phrase in B");
	ok(p.pass_phrase == NULL, "empty value overrides DEFAULT's");
	is_int(p.line[PROFILE_PASS_PHRASE], 0, "and counts as absent");
	profile_release(&p);
}

static void test_syntax(void)
{
	struct profile p;
	char why[512] = "";
	int ret;
	const char *text = "# comment\n"
			   "; another comment\n"
			   "   # indented comment\n"
			   "\n"
			   "\t\n"
			   "[DEFAULT]\n"
			   "USER = " U "\n"
			   "Fingerprint:" FP "\n"
			   "KEY_FILE=/keys/a#b;c.pem\n"
			   "tenancy =" T "\n"
			   "region= iad\n"
			   "passphrase = a=b==c: d # not a comment\n"
			   "security_token_file = /tok\n"
			   "key_content = ignored\n"
			   "log_requests = true\n";

	clear_env();
	ret = parse(&p, text, NULL, why, sizeof(why));
	is_int(ret, 0, "comments, case and separators: %s", why);
	is_str(p.user, U, "upper-case key");
	is_str(p.fingerprint, FP, "':' separator");
	is_str(p.key_file, "/keys/a#b;c.pem", "'#' and ';' inside a value");
	is_str(p.region, "iad", "short code kept");
	is_str(p.pass_phrase, "a=b==c: d # not a comment",
	       "'passphrase', value keeps '=', ':' and '#'");
	is_str(p.security_token_file, "/tok", "security_token_file");
	profile_release(&p);

	/* CRLF line endings */
	ret = parse(&p,
		    "[DEFAULT]\r\nuser = " U "\r\nfingerprint = " FP
		    "\r\nkey_file = /k.pem\r\ntenancy = " T
		    "\r\nregion = iad\r\npass_phrase = pw\r\n",
		    NULL, why, sizeof(why));
	is_int(ret, 0, "CRLF file");
	is_str(p.key_file, "/k.pem", "no CR in key_file");
	is_str(p.pass_phrase, "pw", "no CR in pass_phrase");
	is_str(p.region, "iad", "no CR in region");
	profile_release(&p);

	/* no final newline, UTF-8 byte order mark */
	ret = parse(&p,
		    "\xef\xbb\xbf[DEFAULT]\nuser = " U "\nfingerprint = " FP
		    "\nkey_file = /k.pem\ntenancy = " T "\nregion = iad",
		    NULL, why, sizeof(why));
	is_int(ret, 0, "BOM and no final newline");
	is_str(p.region, "iad", "last line read");
	profile_release(&p);
}

static void test_errors(void)
{
	struct profile p;
	char why[512] = "";
	int ret;
	const char *good =
		"[DEFAULT]\nuser = " U "\nfingerprint = " FP
		"\nkey_file = /k.pem\ntenancy = " T "\nregion = iad\n";
	char text[2048];

	clear_env();
	ret = parse(&p, good, "PROD", why, sizeof(why));
	is_int(ret, -ENOENT, "missing profile");
	is_str(why, "profile 'PROD' not found in '/home/u/.oci/config'",
	       "missing profile message");
	ok(p.path == NULL && p.user == NULL, "profile empty after failure");
	ret = parse(&p, good, "default", why, sizeof(why));
	is_int(ret, -ENOENT, "profile names are case-sensitive");
	ret = parse(&p, "[A]\nuser = x\n", NULL, why, sizeof(why));
	is_int(ret, -ENOENT, "no DEFAULT at all");
	is_str(why, "profile 'DEFAULT' not found in '/home/u/.oci/config'",
	       "missing DEFAULT message");
	ret = parse(&p, "", NULL, why, sizeof(why));
	is_int(ret, -ENOENT, "empty file");

	ret = parse(&p,
		    "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		    "\nkey_file = /k.pem\nregion = iad\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "missing tenancy");
	is_str(why, "'/home/u/.oci/config': profile 'DEFAULT' has no 'tenancy'",
	       "missing key message");
	ret = parse(&p,
		    "[DEFAULT]\nfingerprint = " FP
		    "\nkey_file = /k.pem\ntenancy = " T "\nregion = iad\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "missing user");
	is_str(why, "'/home/u/.oci/config': profile 'DEFAULT' has no 'user'",
	       "missing user message");
	ret = parse(&p,
		    "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		    "\ntenancy = " T "\nregion = iad\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "missing key_file");
	ret = parse(&p,
		    "[DEFAULT]\nuser = " U "\nkey_file = /k\n"
		    "tenancy = " T "\nregion = iad\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "missing fingerprint");
	ret = parse(&p,
		    "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		    "\nkey_file = /k\ntenancy = " T "\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "missing region");
	is_str(why,
	       "'/home/u/.oci/config': profile 'DEFAULT' has no 'region' and $OCI_REGION is not set",
	       "missing region message");

	/* session token profiles need no user nor fingerprint */
	ret = parse(&p,
		    "[DEFAULT]\nkey_file = /k\ntenancy = " T
		    "\nregion = iad\nsecurity_token_file = /t\n",
		    NULL, why, sizeof(why));
	is_int(ret, 0, "session token profile: %s", why);
	profile_release(&p);

	static const struct {
		const char *line, *why;
	} bad[] = {
		{"garbage",
		 "'" CFG "' line 3: expected '[profile]' or 'key = value'"},
		{"= value",
		 "'" CFG "' line 3: expected '[profile]' or 'key = value'"},
		{"[PROD",
		 "'" CFG "' line 3: expected '[profile]' or 'key = value'"},
		{"[]",
		 "'" CFG "' line 3: expected '[profile]' or 'key = value'"},
		{"[DEFAULT]",
		 "'" CFG
		 "' line 3: profile 'DEFAULT' is defined twice (first on line 1)"},
		{"USER = " U,
		 "'" CFG
		 "' line 3: key 'user' is set twice in profile 'DEFAULT' (first on line 2)"},
		{"fingerprint = " FP2 "\nfingerprint=" FP,
		 "'" CFG
		 "' line 4: key 'fingerprint' is set twice in profile 'DEFAULT' (first on line 3)"},
		{"pass_phrase = a\npassphrase = b",
		 "'" CFG
		 "' line 4: key 'pass_phrase' is set twice in profile 'DEFAULT' (first on line 3)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(text, sizeof(text),
			 "[DEFAULT]\nuser = " U "\n%s\nfingerprint = " FP
			 "\nkey_file = /k.pem\ntenancy = " T "\nregion = iad\n",
			 bad[i].line);
		if (i == 6 || i == 7)
			snprintf(text, sizeof(text),
				 "[DEFAULT]\nuser = " U "\n%s\n"
				 "key_file = /k.pem\ntenancy = " T
				 "\nregion = iad\n",
				 bad[i].line);
		ret = parse(&p, text, NULL, why, sizeof(why));
		is_int(ret, -EINVAL, "malformed #%zu", i);
		is_str(why, bad[i].why, "message #%zu", i);
	}

	ret = parse(&p, "user = " U "\n[DEFAULT]\n", NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "key before any section");
	is_str(why,
	       "'" CFG "' line 1: key 'user' comes before any [profile] line",
	       "key before section message");

	ret = parse(
		&p,
		"[DEFAULT]\nuser = " U
		"\nfingerprint = 20:3B:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
		"\nkey_file = /k.pem\ntenancy = " T "\nregion = iad\n",
		NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "upper-case fingerprint");
	is_str(why,
	       "'" CFG
	       "' line 3: key 'fingerprint': not a fingerprint (16 lower-case hex pairs joined by ':'): '20:3B:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34'",
	       "bad fingerprint message");
	ret = parse(
		&p,
		"[DEFAULT]\nuser = " U
		"\nfingerprint = 20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a"
		"\nkey_file = /k.pem\ntenancy = " T "\nregion = iad\n",
		NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "short fingerprint");
	ret = parse(
		&p,
		"[DEFAULT]\nuser = " U
		"\nfingerprint = 20-3b-97-13-55-1c-5b-0d-d3-37-d8-50-4e-c5-3a-34"
		"\nkey_file = /k.pem\ntenancy = " T "\nregion = iad\n",
		NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "fingerprint with '-'");

	ret = parse(&p,
		    "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		    "\nkey_file = /k.pem\ntenancy = my-tenancy\nregion = iad\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "tenancy not an OCID");
	is_str(why,
	       "'" CFG "' line 5: key 'tenancy': not an OCID: 'my-tenancy'",
	       "bad tenancy message");
	ret = parse(&p,
		    "[DEFAULT]\nuser = ocid1.user.oc1..AB CD\nfingerprint = " FP
		    "\nkey_file = /k.pem\ntenancy = " T "\nregion = iad\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "user not an OCID");
	ok(strstr(why, "line 2: key 'user': not an OCID") != NULL, "why: %s",
	   why);
	ret = parse(&p,
		    "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		    "\nkey_file = /k.pem\ntenancy = " T
		    "\nregion = us ashburn\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "malformed region");
	is_str(why,
	       "'" CFG
	       "' line 6: key 'region': not a region identifier or short code: 'us ashburn'",
	       "bad region message");

	/* an error message never shows a pass phrase */
	ret = parse(&p,
		    "[DEFAULT]\npass_phrase = TopSecret\nthis is not valid\n",
		    NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "malformed line after a pass phrase");
	ok(!strstr(why, "TopSecret"), "pass phrase not in: %s", why);
	ret = parse(&p, "[DEFAULT]\nTopSecret\n", NULL, why, sizeof(why));
	ok(!strstr(why, "TopSecret"), "malformed line not quoted: %s", why);

	/* NUL byte */
	ret = profile_parse(&p, "[DEFAULT]\nuser = a\0b\n", 19, CFG, NULL, why,
			    sizeof(why));
	is_int(ret, -EINVAL, "NUL byte refused");
	is_str(why, "'" CFG "' line 2: contains a NUL byte", "NUL message");
}

static void test_limits(void)
{
	struct profile p;
	char why[512] = "";
	size_t big = 1024 * 1024 + 1;
	char *text = malloc(big + 1);
	int ret;

	if (!text)
		return;
	/* a long but valid file: padding in comment lines */
	memset(text, '\n', big);
	text[big] = '\0';
	memcpy(text, "[DEFAULT]\n", 10);
	ret = profile_parse(&p, text, big, CFG, NULL, why, sizeof(why));
	is_int(ret, -EFBIG, "1 MiB + 1 byte refused");
	is_str(why, "config file '" CFG "' is larger than 1 MiB",
	       "too big message");
	ret = profile_parse(&p, text, big - 1, CFG, NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "exactly 1 MiB is parsed (and lacks keys)");
	ok(strstr(why, "has no") != NULL, "why: %s", why);

	memset(text, 'x', 9000);
	memcpy(text, "[DEFAULT]\n# ", 12);
	text[9000] = '\0';
	ret = parse(&p, text, NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "line over 8 KiB refused");
	is_str(why, "'" CFG "' line 2: line longer than 8192 bytes",
	       "long line message");
	free(text);
}

static void test_env_region(void)
{
	struct profile p;
	char why[512] = "";
	int ret;
	const char *noregion = "[DEFAULT]\nuser = " U "\nfingerprint = " FP
			       "\nkey_file = /k.pem\ntenancy = " T "\n";

	clear_env();
	setenv("OCI_REGION", "eu-frankfurt-1", 1);
	ret = parse(&p, noregion, NULL, why, sizeof(why));
	is_int(ret, 0, "region from OCI_REGION");
	is_str(p.region, "eu-frankfurt-1", "OCI_REGION used");
	is_int(p.line[PROFILE_REGION], 0, "line 0 for the environment");
	profile_release(&p);
	ret = parse(&p,
		    "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		    "\nkey_file = /k.pem\ntenancy = " T "\nregion = iad\n",
		    NULL, why, sizeof(why));
	is_str(p.region, "iad", "file wins over OCI_REGION");
	profile_release(&p);
	setenv("OCI_REGION", "bad region", 1);
	ret = parse(&p, noregion, NULL, why, sizeof(why));
	is_int(ret, -EINVAL, "malformed OCI_REGION");
	is_str(why,
	       "$OCI_REGION: not a region identifier or short code: 'bad region'",
	       "bad OCI_REGION message");
	clear_env();
}

static void test_home(void)
{
	struct profile p;
	struct passwd *pw;
	char why[512] = "", want[PATH_MAX + 32], text[2048];
	int ret;

	clear_env();
	setenv("HOME", "/home/tester", 1);
	snprintf(text, sizeof(text),
		 "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		 "\nkey_file = ~/.oci/key.pem\ntenancy = " T
		 "\nregion = iad\nsecurity_token_file = ~\n");
	ret = parse(&p, text, NULL, why, sizeof(why));
	is_int(ret, 0, "~ paths: %s", why);
	is_str(p.key_file, "/home/tester/.oci/key.pem", "~/ expanded");
	is_str(p.security_token_file, "/home/tester", "~ alone expanded");
	profile_release(&p);

	setenv("HOME", "/home/tester/", 1);
	ret = parse(&p, text, NULL, why, sizeof(why));
	is_str(p.key_file, "/home/tester/.oci/key.pem", "HOME with a slash");
	profile_release(&p);

	pw = getpwuid(0);
	snprintf(text, sizeof(text),
		 "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		 "\nkey_file = ~%s/k.pem\ntenancy = " T
		 "\nregion = iad\nsecurity_token_file = ~no-such-user-x9/t\n",
		 pw ? pw->pw_name : "root");
	snprintf(want, sizeof(want), "%s/k.pem",
		 pw && strcmp(pw->pw_dir, "/") ? pw->pw_dir : "");
	ret = parse(&p, text, NULL, why, sizeof(why));
	is_int(ret, 0, "~user paths");
	is_str(p.key_file, want, "~user expanded");
	is_str(p.security_token_file, "~no-such-user-x9/t",
	       "unknown ~user kept as written");
	profile_release(&p);

	snprintf(text, sizeof(text),
		 "[DEFAULT]\nuser = " U "\nfingerprint = " FP
		 "\nkey_file = rel/k~.pem\ntenancy = " T "\nregion = iad\n");
	parse(&p, text, NULL, why, sizeof(why));
	is_str(p.key_file, "rel/k~.pem", "relative path without ~ unchanged");
	profile_release(&p);
}

static void test_config_path(void)
{
	char out[PATH_MAX], tiny[8];

	clear_env();
	setenv("HOME", "/home/tester", 1);
	is_int(profile_config_path(NULL, out, sizeof(out)), 0, "default path");
	is_str(out, "/home/tester/.oci/config", "~/.oci/config");
	setenv("OCI_CONFIG_FILE", "/etc/oci/config", 1);
	profile_config_path(NULL, out, sizeof(out));
	is_str(out, "/etc/oci/config", "OCI_CONFIG_FILE over the default");
	setenv("OCI_CLI_CONFIG_FILE", "~/cli-config", 1);
	profile_config_path(NULL, out, sizeof(out));
	is_str(out, "/home/tester/cli-config",
	       "OCI_CLI_CONFIG_FILE over OCI_CONFIG_FILE, ~ expanded");
	profile_config_path("/opt/cfg", out, sizeof(out));
	is_str(out, "/opt/cfg", "option over everything");
	profile_config_path("", out, sizeof(out));
	is_str(out, "/home/tester/cli-config", "empty option ignored");
	setenv("OCI_CLI_CONFIG_FILE", "", 1);
	profile_config_path(NULL, out, sizeof(out));
	is_str(out, "/etc/oci/config", "empty OCI_CLI_CONFIG_FILE ignored");
	is_int(profile_config_path("/a/long/path", tiny, sizeof(tiny)),
	       -ENAMETOOLONG, "buffer too small");
	clear_env();

	unsetenv("HOME");
	is_int(profile_config_path(NULL, out, sizeof(out)), 0,
	       "no HOME: the password database");
	ok(strstr(out, "/.oci/config") != NULL, "path: %s", out);
	setenv("HOME", "/home/tester", 1);

	is_str(profile_name(NULL), "DEFAULT", "default profile name");
	setenv("OCI_CLI_PROFILE", "ENV", 1);
	is_str(profile_name(NULL), "ENV", "OCI_CLI_PROFILE");
	is_str(profile_name(""), "ENV", "empty option ignored");
	is_str(profile_name("OPT"), "OPT", "option over OCI_CLI_PROFILE");
	setenv("OCI_CLI_PROFILE", "", 1);
	is_str(profile_name(NULL), "DEFAULT", "empty OCI_CLI_PROFILE ignored");
	clear_env();
}

static void write_file(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(path_of(name), "w");

	if (!f)
		return;
	fwrite(text, 1, len, f);
	fclose(f);
}

static void test_load(void)
{
	struct profile p;
	char why[1024] = "", cfg[512], want[600];
	const char *text =
		"[DEFAULT]\nuser = " U "\nfingerprint = " FP
		"\nkey_file = ~/k.pem\ntenancy = " T "\nregion = iad\n"
		"[PROD]\nregion = fra\npass_phrase = pw\n";
	int ret;

	clear_env();
	ok(!tmpdir_make("profile"), "temp dir");
	snprintf(cfg, sizeof(cfg), "%s", path_of("config"));
	write_file("config", text, strlen(text));
	setenv("HOME", tmpdir, 1);

	ret = profile_load(&p, cfg, NULL, why, sizeof(why));
	is_int(ret, 0, "load DEFAULT from a file: %s", why);
	is_str(p.path, cfg, "path recorded");
	snprintf(want, sizeof(want), "%s/k.pem", tmpdir);
	is_str(p.key_file, want, "key_file relative to HOME");
	profile_release(&p);

	setenv("OCI_CLI_CONFIG_FILE", cfg, 1);
	setenv("OCI_CLI_PROFILE", "PROD", 1);
	ret = profile_load(&p, NULL, NULL, why, sizeof(why));
	is_int(ret, 0, "load via OCI_CLI_CONFIG_FILE and OCI_CLI_PROFILE");
	is_str(p.name, "PROD", "profile from OCI_CLI_PROFILE");
	is_str(p.region, "fra", "PROD region");
	is_str(p.pass_phrase, "pw", "PROD pass phrase");
	profile_release(&p);
	ret = profile_load(&p, NULL, "DEFAULT", why, sizeof(why));
	is_int(ret, 0, "option over OCI_CLI_PROFILE");
	is_str(p.name, "DEFAULT", "DEFAULT chosen");
	profile_release(&p);
	ret = profile_load(&p, NULL, "NOPE", why, sizeof(why));
	is_int(ret, -ENOENT, "missing profile in a file");
	snprintf(want, sizeof(want), "profile 'NOPE' not found in '%s'", cfg);
	is_str(why, want, "message names the file");
	clear_env();

	/* default location under HOME */
	mkdir(path_of(".oci"), 0700);
	write_file(".oci/config", text, strlen(text));
	ret = profile_load(&p, NULL, NULL, why, sizeof(why));
	is_int(ret, 0, "~/.oci/config");
	snprintf(want, sizeof(want), "%s/.oci/config", tmpdir);
	is_str(p.path, want, "default path used");
	profile_release(&p);

	ret = profile_load(&p, path_of("missing"), NULL, why, sizeof(why));
	is_int(ret, -ENOENT, "missing file");
	ok(strstr(why, "cannot read config file '") &&
		   strstr(why, "No such file or directory"),
	   "why: %s", why);
	ret = profile_load(&p, tmpdir, NULL, why, sizeof(why));
	is_int(ret, -EACCES, "directory");
	ok(strstr(why, "not a regular file") != NULL, "why: %s", why);

	{
		size_t big = 1024 * 1024 + 10;
		char *t = malloc(big);

		if (t) {
			memset(t, '\n', big);
			memcpy(t, text, strlen(text));
			write_file("big", t, big);
			free(t);
		}
		ret = profile_load(&p, path_of("big"), NULL, why, sizeof(why));
		is_int(ret, -EFBIG, "oversized file");
		ok(strstr(why, "is larger than 1 MiB") != NULL, "why: %s", why);
	}
	tmpdir_remove();
}

int main(void)
{
	test_basic();
	test_inheritance();
	test_syntax();
	test_errors();
	test_limits();
	test_env_region();
	test_home();
	test_config_path();
	test_load();
	return done_testing();
}
