/* SPDX-License-Identifier: MIT */
/* Unit tests for fs/region.c: realms, regions, endpoints, hosts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "tap.h"

/* Every region, its short code and realm (oci-python-sdk 2.182.1). */
/* clang-format off */
static const struct {
	const char *id, *code, *realm, *domain;
} table[] = {
	{ "af-casablanca-1", "lej", "oc1", "oraclecloud.com" },
	{ "af-johannesburg-1", "jnb", "oc1", "oraclecloud.com" },
	{ "ap-batam-1", "hsg", "oc1", "oraclecloud.com" },
	{ "ap-chuncheon-1", "yny", "oc1", "oraclecloud.com" },
	{ "ap-delhi-1", "onm", "oc1", "oraclecloud.com" },
	{ "ap-hyderabad-1", "hyd", "oc1", "oraclecloud.com" },
	{ "ap-kulai-2", "jbp", "oc1", "oraclecloud.com" },
	{ "ap-melbourne-1", "mel", "oc1", "oraclecloud.com" },
	{ "ap-mumbai-1", "bom", "oc1", "oraclecloud.com" },
	{ "ap-osaka-1", "kix", "oc1", "oraclecloud.com" },
	{ "ap-seoul-1", "icn", "oc1", "oraclecloud.com" },
	{ "ap-singapore-1", "sin", "oc1", "oraclecloud.com" },
	{ "ap-singapore-2", "xsp", "oc1", "oraclecloud.com" },
	{ "ap-sydney-1", "syd", "oc1", "oraclecloud.com" },
	{ "ap-tokyo-1", "nrt", "oc1", "oraclecloud.com" },
	{ "ca-montreal-1", "yul", "oc1", "oraclecloud.com" },
	{ "ca-toronto-1", "yyz", "oc1", "oraclecloud.com" },
	{ "eu-amsterdam-1", "ams", "oc1", "oraclecloud.com" },
	{ "eu-frankfurt-1", "fra", "oc1", "oraclecloud.com" },
	{ "eu-madrid-1", "mad", "oc1", "oraclecloud.com" },
	{ "eu-madrid-3", "orf", "oc1", "oraclecloud.com" },
	{ "eu-marseille-1", "mrs", "oc1", "oraclecloud.com" },
	{ "eu-milan-1", "lin", "oc1", "oraclecloud.com" },
	{ "eu-paris-1", "cdg", "oc1", "oraclecloud.com" },
	{ "eu-stockholm-1", "arn", "oc1", "oraclecloud.com" },
	{ "eu-turin-1", "nrq", "oc1", "oraclecloud.com" },
	{ "eu-zurich-1", "zrh", "oc1", "oraclecloud.com" },
	{ "il-jerusalem-1", "mtz", "oc1", "oraclecloud.com" },
	{ "me-abudhabi-1", "auh", "oc1", "oraclecloud.com" },
	{ "me-dubai-1", "dxb", "oc1", "oraclecloud.com" },
	{ "me-jeddah-1", "jed", "oc1", "oraclecloud.com" },
	{ "me-riyadh-1", "ruh", "oc1", "oraclecloud.com" },
	{ "mx-monterrey-1", "mty", "oc1", "oraclecloud.com" },
	{ "mx-queretaro-1", "qro", "oc1", "oraclecloud.com" },
	{ "sa-bogota-1", "bog", "oc1", "oraclecloud.com" },
	{ "sa-santiago-1", "scl", "oc1", "oraclecloud.com" },
	{ "sa-saopaulo-1", "gru", "oc1", "oraclecloud.com" },
	{ "sa-valparaiso-1", "vap", "oc1", "oraclecloud.com" },
	{ "sa-vinhedo-1", "vcp", "oc1", "oraclecloud.com" },
	{ "uk-cardiff-1", "cwl", "oc1", "oraclecloud.com" },
	{ "uk-london-1", "lhr", "oc1", "oraclecloud.com" },
	{ "us-ashburn-1", "iad", "oc1", "oraclecloud.com" },
	{ "us-chicago-1", "ord", "oc1", "oraclecloud.com" },
	{ "us-phoenix-1", "phx", "oc1", "oraclecloud.com" },
	{ "us-saltlake-2", "aga", "oc1", "oraclecloud.com" },
	{ "us-sanjose-1", "sjc", "oc1", "oraclecloud.com" },
	{ "us-langley-1", "lfi", "oc2", "oraclegovcloud.com" },
	{ "us-luke-1", "luf", "oc2", "oraclegovcloud.com" },
	{ "us-gov-ashburn-1", "ric", "oc3", "oraclegovcloud.com" },
	{ "us-gov-chicago-1", "pia", "oc3", "oraclegovcloud.com" },
	{ "us-gov-phoenix-1", "tus", "oc3", "oraclegovcloud.com" },
	{ "uk-gov-cardiff-1", "brs", "oc4", "oraclegovcloud.uk" },
	{ "uk-gov-london-1", "ltn", "oc4", "oraclegovcloud.uk" },
	{ "ap-chiyoda-1", "nja", "oc8", "oraclecloud8.com" },
	{ "ap-ibaraki-1", "ukb", "oc8", "oraclecloud8.com" },
	{ "me-dcc-muscat-1", "mct", "oc9", "oraclecloud9.com" },
	{ "me-ibri-1", "ibr", "oc9", "oraclecloud9.com" },
	{ "ap-dcc-canberra-1", "wga", "oc10", "oraclecloud10.com" },
	{ "eu-dcc-dublin-1", "ork", "oc14", "oraclecloud14.com" },
	{ "eu-dcc-dublin-2", "snn", "oc14", "oraclecloud14.com" },
	{ "eu-dcc-milan-1", "bgy", "oc14", "oraclecloud14.com" },
	{ "eu-dcc-milan-2", "mxp", "oc14", "oraclecloud14.com" },
	{ "eu-dcc-rating-1", "dus", "oc14", "oraclecloud14.com" },
	{ "eu-dcc-rating-2", "dtm", "oc14", "oraclecloud14.com" },
	{ "ap-dcc-gazipur-1", "dac", "oc15", "oraclecloud15.com" },
	{ "eu-frankfurt-2", "str", "oc19", "oraclecloud.eu" },
	{ "eu-madrid-2", "vll", "oc19", "oraclecloud.eu" },
	{ "eu-jovanovac-1", "beg", "oc20", "oraclecloud20.com" },
	{ "me-alrayyan-1", "vve", "oc21", "oraclecloud21.com" },
	{ "me-dcc-doha-1", "doh", "oc21", "oraclecloud21.com" },
	{ "us-somerset-1", "ebb", "oc23", "oraclecloud23.com" },
	{ "us-thames-1", "ebl", "oc23", "oraclecloud23.com" },
	{ "eu-crissier-1", "avf", "oc24", "oraclecloud24.com" },
	{ "eu-dcc-zurich-1", "avz", "oc24", "oraclecloud24.com" },
	{ "me-abudhabi-3", "ahu", "oc26", "oraclecloud26.com" },
	{ "me-alain-1", "rba", "oc26", "oraclecloud26.com" },
	{ "me-abudhabi-2", "rkt", "oc29", "oraclecloud29.com" },
	{ "me-abudhabi-4", "shj", "oc29", "oraclecloud29.com" },
	{ "ap-chuncheon-2", "bno", "oc35", "oraclecloud35.com" },
	{ "ap-seoul-2", "dtz", "oc35", "oraclecloud35.com" },
	{ "ap-suwon-1", "dln", "oc35", "oraclecloud35.com" },
	{ "us-ashburn-2", "yxj", "oc42", "oraclecloud42.com" },
	{ "us-newark-1", "pgc", "oc42", "oraclecloud42.com" },
	{ "eu-budapest-1", "jsk", "oc51", "oraclecloud51.com" },
	{ "sa-riodejaneiro-1", "hnw", "oc52", "oraclecloud52.com" },
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void test_table(void)
{
	struct region_info r, c;
	int bad = 0;

	is_int(NELEM(table), 85, "85 regions in the reference");
	unsetenv("OCI_DEFAULT_REALM");
	for (size_t i = 0; i < NELEM(table); i++) {
		int e1 = region_resolve(table[i].id, &r);
		int e2 = region_resolve(table[i].code, &c);

		if (e1 || e2 || !r.known || !c.known ||
		    strcmp(r.id, table[i].id) ||
		    strcmp(r.code, table[i].code) ||
		    strcmp(r.realm, table[i].realm) ||
		    strcmp(r.domain, table[i].domain) ||
		    memcmp(&r, &c, sizeof(r))) {
			printf("# mismatch for %s (%s)\n", table[i].id,
			       table[i].code);
			bad++;
		}
	}
	is_int(bad, 0, "every identifier and short code resolves as in 8.3");
}

static void test_resolve(void)
{
	struct region_info r;
	static const char *const bad[] = {
		"",
		"us ashburn 1",
		"us_ashburn-1",
		"-iad",
		"iad-",
		"us--ashburn-1",
		"1us-east-1",
		"us-ashburn-1.evil.com",
		"../etc",
		"us-ashburn-1/",
		"iad\n",
		"ü-region-1",
		"https://iad",
		"a123456789012345678901234567890123456789012345678901234567890123",
	};

	unsetenv("OCI_DEFAULT_REALM");
	is_int(region_resolve("IAD", &r), 0, "short code in upper case");
	is_str(r.id, "us-ashburn-1", "IAD is us-ashburn-1");
	is_int(region_resolve("Us-Phoenix-1", &r), 0, "mixed-case identifier");
	is_str(r.id, "us-phoenix-1", "identifier lower-cased");
	is_str(r.code, "phx", "phx");
	ok(r.known, "known");

	is_int(region_resolve("uk-gov-london-1", &r), 0, "oc4 region");
	is_str(r.realm, "oc4", "uk-gov-london-1 realm");
	is_str(r.domain, "oraclegovcloud.uk", "uk-gov-london-1 domain");
	is_int(region_resolve("str", &r), 0, "oc19 short code");
	is_str(r.id, "eu-frankfurt-2", "str is eu-frankfurt-2");
	is_str(r.domain, "oraclecloud.eu", "oc19 domain");

	for (size_t i = 0; i < NELEM(bad); i++)
		is_int(region_resolve(bad[i], &r), -EINVAL,
		       "malformed name #%zu refused", i);
	is_int(region_resolve(NULL, &r), -EINVAL, "NULL refused");
	/* 63 characters is the longest name that fits */
	is_int(region_resolve(
		       "a12345678901234567890123456789012345678901234567890123456789012",
		       &r),
	       0, "63-character name accepted");
}

static void test_unknown(void)
{
	struct region_info r;

	unsetenv("OCI_DEFAULT_REALM");
	is_int(region_resolve("xx-newcity-1", &r), 0, "unknown identifier");
	ok(!r.known, "not known");
	is_str(r.id, "xx-newcity-1", "used as the identifier");
	is_str(r.code, "", "no short code");
	is_str(r.realm, "oc1", "falls back to oc1");
	is_str(r.domain, "oraclecloud.com", "and oraclecloud.com");

	setenv("OCI_DEFAULT_REALM", "oc19", 1);
	region_resolve("xx-newcity-1", &r);
	is_str(r.realm, "oc19", "OCI_DEFAULT_REALM as a realm key");
	is_str(r.domain, "oraclecloud.eu", "its domain");
	setenv("OCI_DEFAULT_REALM", "OC4", 1);
	region_resolve("xx-newcity-1", &r);
	is_str(r.realm, "oc4", "realm key is case-insensitive");
	is_str(r.domain, "oraclegovcloud.uk", "oc4 domain");
	setenv("OCI_DEFAULT_REALM", "oraclecloud.eu", 1);
	region_resolve("xx-newcity-1", &r);
	is_str(r.domain, "oraclecloud.eu", "OCI_DEFAULT_REALM as a domain");
	is_str(r.realm, "oc19", "realm found from its domain");
	setenv("OCI_DEFAULT_REALM", "Cloud.Example.TEST", 1);
	region_resolve("xx-newcity-1", &r);
	is_str(r.domain, "cloud.example.test", "unknown domain, lower-cased");
	is_str(r.realm, "", "unknown realm");
	setenv("OCI_DEFAULT_REALM", "https://x/", 1);
	region_resolve("xx-newcity-1", &r);
	is_str(r.domain, "oraclecloud.com", "unusable value: oc1");
	setenv("OCI_DEFAULT_REALM", "oc99", 1);
	region_resolve("xx-newcity-1", &r);
	is_str(r.realm, "oc1", "unknown realm key: oc1");
	setenv("OCI_DEFAULT_REALM", "oc19", 1);
	region_resolve("us-ashburn-1", &r);
	is_str(r.domain, "oraclecloud.com",
	       "known regions ignore OCI_DEFAULT_REALM");
	unsetenv("OCI_DEFAULT_REALM");
}

static void test_endpoints(void)
{
	struct region_info r;
	char url[256], tiny[20];

	region_resolve("iad", &r);
	is_int(region_endpoint(&r, REGION_SVC_IDENTITY, NULL, url, sizeof(url)),
	       0, "identity");
	is_str(url, "https://identity.us-ashburn-1.oci.oraclecloud.com",
	       "identity has .oci.");
	region_endpoint(&r, REGION_SVC_KMS, NULL, url, sizeof(url));
	is_str(url, "https://kms.us-ashburn-1.oraclecloud.com", "kms");
	region_endpoint(&r, REGION_SVC_OBJECTSTORAGE, "", url, sizeof(url));
	is_str(url, "https://objectstorage.us-ashburn-1.oraclecloud.com",
	       "objectstorage (empty override ignored)");
	region_endpoint(&r, REGION_SVC_WORKREQUESTS, NULL, url, sizeof(url));
	is_str(url, "https://iaas.us-ashburn-1.oraclecloud.com",
	       "work requests");

	region_resolve("ltn", &r);
	region_endpoint(&r, REGION_SVC_KMS, NULL, url, sizeof(url));
	is_str(url, "https://kms.uk-gov-london-1.oraclegovcloud.uk", "oc4 kms");
	region_endpoint(&r, REGION_SVC_IDENTITY, NULL, url, sizeof(url));
	is_str(url, "https://identity.uk-gov-london-1.oci.oraclegovcloud.uk",
	       "oc4 identity");
	region_resolve("sa-riodejaneiro-1", &r);
	region_endpoint(&r, REGION_SVC_OBJECTSTORAGE, NULL, url, sizeof(url));
	is_str(url, "https://objectstorage.sa-riodejaneiro-1.oraclecloud52.com",
	       "oc52 objectstorage");

	for (int s = REGION_SVC_IDENTITY; s <= REGION_SVC_WORKREQUESTS; s++) {
		region_endpoint(&r, (enum region_service)s,
				"https://127.0.0.1:8443/", url, sizeof(url));
		is_str(url, "https://127.0.0.1:8443",
		       "override replaces service %d, trailing / removed", s);
	}
	region_endpoint(&r, REGION_SVC_KMS, "https://127.0.0.1:8443", url,
			sizeof(url));
	is_str(url, "https://127.0.0.1:8443", "override without slash");
	region_endpoint(&r, REGION_SVC_KMS, "https://gw.example/oci//", url,
			sizeof(url));
	is_str(url, "https://gw.example/oci", "override with a path, slashes");
	is_int(region_endpoint(&r, REGION_SVC_KMS, "/", url, sizeof(url)),
	       -EINVAL, "override of only '/' refused");
	is_int(region_endpoint(&r, REGION_SVC_KMS, "https://0123456789.example",
			       tiny, sizeof(tiny)),
	       -ENAMETOOLONG, "override too long");
	is_str(tiny, "", "empty on failure");
	is_int(region_endpoint(&r, REGION_SVC_KMS, NULL, tiny, sizeof(tiny)),
	       -ENAMETOOLONG, "template too long");
	is_int(region_endpoint(&r, (enum region_service)42, NULL, url,
			       sizeof(url)),
	       -EINVAL, "unknown service");
}

static void test_objectstorage_host(void)
{
	struct region_info r;

	region_resolve("us-ashburn-1", &r);
	ok(region_is_objectstorage_host(
		   &r, "objectstorage.us-ashburn-1.oraclecloud.com"),
	   "classic host");
	ok(region_is_objectstorage_host(
		   &r,
		   "axaxnpcrorw5.objectstorage.us-ashburn-1.oci.customer-oci.com"),
	   "oc1 dedicated host");
	ok(region_is_objectstorage_host(
		   &r, "OBJECTSTORAGE.US-ASHBURN-1.ORACLECLOUD.COM"),
	   "case-insensitive");
	ok(!region_is_objectstorage_host(
		   &r, "objectstorage.us-phoenix-1.oraclecloud.com"),
	   "other region");
	ok(!region_is_objectstorage_host(
		   &r, "objectstorage.us-ashburn-1.oraclecloud.com.evil.com"),
	   "suffix attack");
	ok(!region_is_objectstorage_host(
		   &r, "evil-objectstorage.us-ashburn-1.oraclecloud.com"),
	   "prefix attack");
	ok(!region_is_objectstorage_host(
		   &r, ".objectstorage.us-ashburn-1.oci.customer-oci.com"),
	   "empty namespace");
	ok(!region_is_objectstorage_host(
		   &r, "a.b.objectstorage.us-ashburn-1.oci.customer-oci.com"),
	   "namespace with a dot");
	ok(!region_is_objectstorage_host(
		   &r, "ns.objectstorage.us-phoenix-1.oci.customer-oci.com"),
	   "dedicated host of another region");
	ok(!region_is_objectstorage_host(&r,
					 "kms.us-ashburn-1.oraclecloud.com"),
	   "kms host");
	ok(!region_is_objectstorage_host(&r, ""), "empty host");
	ok(!region_is_objectstorage_host(&r, NULL), "NULL host");

	region_resolve("uk-gov-london-1", &r);
	ok(region_is_objectstorage_host(
		   &r, "objectstorage.uk-gov-london-1.oraclegovcloud.uk"),
	   "oc4 host");
	ok(!region_is_objectstorage_host(
		   &r, "ns.objectstorage.uk-gov-london-1.oci.customer-oci.com"),
	   "no customer-oci.com outside oc1");
}

int main(void)
{
	test_table();
	test_resolve();
	test_unknown();
	test_endpoints();
	test_objectstorage_host();
	return done_testing();
}
