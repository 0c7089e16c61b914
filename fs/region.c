/* SPDX-License-Identifier: MIT */
/* region: region and realm tables and service endpoint templates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "region.h"
#include "banned.h"

struct realm_def {
	const char *key;
	const char *domain;
};

struct region_def {
	const char *id;
	const char *code;
	const char *realm;
};

/*
 * docs/internals/OCI-API.md §10; a snapshot of oci-python-sdk 2.182.1
 * (regions_definitions.py).  New regions appear regularly; unknown names
 * still work through the $OCI_DEFAULT_REALM / oc1 fallback.
 */
/* clang-format off */
static const struct realm_def realms[] = {
	{ "oc1", "oraclecloud.com" },
	{ "oc2", "oraclegovcloud.com" },
	{ "oc3", "oraclegovcloud.com" },
	{ "oc4", "oraclegovcloud.uk" },
	{ "oc8", "oraclecloud8.com" },
	{ "oc9", "oraclecloud9.com" },
	{ "oc10", "oraclecloud10.com" },
	{ "oc14", "oraclecloud14.com" },
	{ "oc15", "oraclecloud15.com" },
	{ "oc19", "oraclecloud.eu" },
	{ "oc20", "oraclecloud20.com" },
	{ "oc21", "oraclecloud21.com" },
	{ "oc23", "oraclecloud23.com" },
	{ "oc24", "oraclecloud24.com" },
	{ "oc26", "oraclecloud26.com" },
	{ "oc29", "oraclecloud29.com" },
	{ "oc35", "oraclecloud35.com" },
	{ "oc42", "oraclecloud42.com" },
	{ "oc51", "oraclecloud51.com" },
	{ "oc52", "oraclecloud52.com" },
};
/* clang-format on */

/* clang-format off */
static const struct region_def regions[] = {
	{ "af-casablanca-1", "lej", "oc1" },
	{ "af-johannesburg-1", "jnb", "oc1" },
	{ "ap-batam-1", "hsg", "oc1" },
	{ "ap-chuncheon-1", "yny", "oc1" },
	{ "ap-delhi-1", "onm", "oc1" },
	{ "ap-hyderabad-1", "hyd", "oc1" },
	{ "ap-kulai-2", "jbp", "oc1" },
	{ "ap-melbourne-1", "mel", "oc1" },
	{ "ap-mumbai-1", "bom", "oc1" },
	{ "ap-osaka-1", "kix", "oc1" },
	{ "ap-seoul-1", "icn", "oc1" },
	{ "ap-singapore-1", "sin", "oc1" },
	{ "ap-singapore-2", "xsp", "oc1" },
	{ "ap-sydney-1", "syd", "oc1" },
	{ "ap-tokyo-1", "nrt", "oc1" },
	{ "ca-montreal-1", "yul", "oc1" },
	{ "ca-toronto-1", "yyz", "oc1" },
	{ "eu-amsterdam-1", "ams", "oc1" },
	{ "eu-frankfurt-1", "fra", "oc1" },
	{ "eu-madrid-1", "mad", "oc1" },
	{ "eu-madrid-3", "orf", "oc1" },
	{ "eu-marseille-1", "mrs", "oc1" },
	{ "eu-milan-1", "lin", "oc1" },
	{ "eu-paris-1", "cdg", "oc1" },
	{ "eu-stockholm-1", "arn", "oc1" },
	{ "eu-turin-1", "nrq", "oc1" },
	{ "eu-zurich-1", "zrh", "oc1" },
	{ "il-jerusalem-1", "mtz", "oc1" },
	{ "me-abudhabi-1", "auh", "oc1" },
	{ "me-dubai-1", "dxb", "oc1" },
	{ "me-jeddah-1", "jed", "oc1" },
	{ "me-riyadh-1", "ruh", "oc1" },
	{ "mx-monterrey-1", "mty", "oc1" },
	{ "mx-queretaro-1", "qro", "oc1" },
	{ "sa-bogota-1", "bog", "oc1" },
	{ "sa-santiago-1", "scl", "oc1" },
	{ "sa-saopaulo-1", "gru", "oc1" },
	{ "sa-valparaiso-1", "vap", "oc1" },
	{ "sa-vinhedo-1", "vcp", "oc1" },
	{ "uk-cardiff-1", "cwl", "oc1" },
	{ "uk-london-1", "lhr", "oc1" },
	{ "us-ashburn-1", "iad", "oc1" },
	{ "us-chicago-1", "ord", "oc1" },
	{ "us-phoenix-1", "phx", "oc1" },
	{ "us-saltlake-2", "aga", "oc1" },
	{ "us-sanjose-1", "sjc", "oc1" },
	{ "us-langley-1", "lfi", "oc2" },
	{ "us-luke-1", "luf", "oc2" },
	{ "us-gov-ashburn-1", "ric", "oc3" },
	{ "us-gov-chicago-1", "pia", "oc3" },
	{ "us-gov-phoenix-1", "tus", "oc3" },
	{ "uk-gov-cardiff-1", "brs", "oc4" },
	{ "uk-gov-london-1", "ltn", "oc4" },
	{ "ap-chiyoda-1", "nja", "oc8" },
	{ "ap-ibaraki-1", "ukb", "oc8" },
	{ "me-dcc-muscat-1", "mct", "oc9" },
	{ "me-ibri-1", "ibr", "oc9" },
	{ "ap-dcc-canberra-1", "wga", "oc10" },
	{ "eu-dcc-dublin-1", "ork", "oc14" },
	{ "eu-dcc-dublin-2", "snn", "oc14" },
	{ "eu-dcc-milan-1", "bgy", "oc14" },
	{ "eu-dcc-milan-2", "mxp", "oc14" },
	{ "eu-dcc-rating-1", "dus", "oc14" },
	{ "eu-dcc-rating-2", "dtm", "oc14" },
	{ "ap-dcc-gazipur-1", "dac", "oc15" },
	{ "eu-frankfurt-2", "str", "oc19" },
	{ "eu-madrid-2", "vll", "oc19" },
	{ "eu-jovanovac-1", "beg", "oc20" },
	{ "me-alrayyan-1", "vve", "oc21" },
	{ "me-dcc-doha-1", "doh", "oc21" },
	{ "us-somerset-1", "ebb", "oc23" },
	{ "us-thames-1", "ebl", "oc23" },
	{ "eu-crissier-1", "avf", "oc24" },
	{ "eu-dcc-zurich-1", "avz", "oc24" },
	{ "me-abudhabi-3", "ahu", "oc26" },
	{ "me-alain-1", "rba", "oc26" },
	{ "me-abudhabi-2", "rkt", "oc29" },
	{ "me-abudhabi-4", "shj", "oc29" },
	{ "ap-chuncheon-2", "bno", "oc35" },
	{ "ap-seoul-2", "dtz", "oc35" },
	{ "ap-suwon-1", "dln", "oc35" },
	{ "us-ashburn-2", "yxj", "oc42" },
	{ "us-newark-1", "pgc", "oc42" },
	{ "eu-budapest-1", "jsk", "oc51" },
	{ "sa-riodejaneiro-1", "hnw", "oc52" },
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct realm_def *find_realm(const char *key)
{
	for (size_t i = 0; i < NELEM(realms); i++) {
		if (!strcasecmp(realms[i].key, key))
			return &realms[i];
	}
	return NULL;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * A region name becomes a DNS label of every endpoint: letters, digits and
 * inner single hyphens, starting with a letter.  Copies it lower-cased.
 */
static int region_name_norm(const char *name, char *out, size_t n)
{
	size_t len = 0;

	if (!name || !*name)
		return -EINVAL;
	for (const char *s = name; *s; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!is_lower_alnum(c) && c != '-')
			return -EINVAL;
		if (c == '-' && (!len || out[len - 1] == '-'))
			return -EINVAL;
		if (len + 1 >= n)
			return -EINVAL;
		out[len++] = c;
	}
	out[len] = '\0';
	if (out[0] < 'a' || out[0] > 'z' || out[len - 1] == '-')
		return -EINVAL;
	return 0;
}

/* "oraclecloud.com": dot-separated DNS labels, at least two of them. */
static bool domain_ok(const char *d)
{
	size_t label = 0, labels = 0;

	if (!d || !*d)
		return false;
	for (const char *s = d;; s++) {
		if (*s == '.' || !*s) {
			if (!label || s[-1] == '-')
				return false;
			labels++;
			label = 0;
			if (!*s)
				break;
			continue;
		}
		if (!is_lower_alnum(*s) && *s != '-')
			return false;
		if (*s == '-' && !label)
			return false;
		label++;
	}
	return labels >= 2;
}

/* Copy `src` lower-cased; false when it does not fit. */
static bool lower_copy(const char *src, char *dst, size_t n)
{
	size_t i;

	for (i = 0; src[i]; i++) {
		if (i + 1 >= n)
			return false;
		dst[i] = src[i] >= 'A' && src[i] <= 'Z'
				 ? (char)(src[i] - 'A' + 'a')
				 : src[i];
	}
	dst[i] = '\0';
	return true;
}

/*
 * The realm of an unknown region: $OCI_DEFAULT_REALM as a realm key ("oc1")
 * or a domain ("oraclecloud.com"); oc1 when unset or unusable.
 */
static void default_realm(struct region_info *out)
{
	const char *env = getenv("OCI_DEFAULT_REALM");
	const struct realm_def *r = &realms[0];
	char dom[sizeof(out->domain)];

	if (env && *env && find_realm(env)) {
		r = find_realm(env);
	} else if (env && lower_copy(env, dom, sizeof(dom)) && domain_ok(dom)) {
		/* the realm of that domain, if any: oc1 for oraclecloud.com */
		out->realm[0] = '\0';
		for (size_t i = 0; i < NELEM(realms); i++) {
			if (!strcmp(realms[i].domain, dom)) {
				buf_copy(out->realm, sizeof(out->realm),
					 realms[i].key);
				break;
			}
		}
		buf_copy(out->domain, sizeof(out->domain), dom);
		return;
	}
	buf_copy(out->realm, sizeof(out->realm), r->key);
	buf_copy(out->domain, sizeof(out->domain), r->domain);
}

int region_resolve(const char *name, struct region_info *out)
{
	const struct region_def *def = NULL;
	const struct realm_def *realm;
	char norm[sizeof(out->id)];

	memset(out, 0, sizeof(*out));
	if (region_name_norm(name, norm, sizeof(norm)))
		return -EINVAL;
	for (size_t i = 0; i < NELEM(regions) && !def; i++) {
		if (!strcmp(regions[i].id, norm) ||
		    !strcmp(regions[i].code, norm))
			def = &regions[i];
	}
	if (!def) {
		/* as the SDKs do: an unknown name is used as the identifier */
		buf_copy(out->id, sizeof(out->id), norm);
		default_realm(out);
		out->known = false;
		return 0;
	}
	realm = find_realm(def->realm);
	if (!realm)
		return -EINVAL; /* tables disagree: a bug, caught by tests */
	buf_copy(out->id, sizeof(out->id), def->id);
	buf_copy(out->code, sizeof(out->code), def->code);
	buf_copy(out->realm, sizeof(out->realm), realm->key);
	buf_copy(out->domain, sizeof(out->domain), realm->domain);
	out->known = true;
	return 0;
}

int region_endpoint(const struct region_info *r, enum region_service svc,
		    const char *override, char *out, size_t n)
{
	const char *svc_host, *oci = "";
	size_t len;
	int ret;

	if (!out || !n)
		return -EINVAL;
	out[0] = '\0';
	if (override && *override) {
		len = strlen(override);
		while (len && override[len - 1] == '/')
			len--;
		if (!len)
			return -EINVAL;
		if (len >= n)
			return -ENAMETOOLONG;
		memcpy(out, override, len);
		out[len] = '\0';
		return 0;
	}
	if (!r || !r->id[0] || !r->domain[0])
		return -EINVAL;
	switch (svc) {
	case REGION_SVC_IDENTITY:
		/* the only one with ".oci." (docs/internals/OCI-API.md §2) */
		svc_host = "identity";
		oci = ".oci";
		break;
	case REGION_SVC_KMS:
		svc_host = "kms";
		break;
	case REGION_SVC_OBJECTSTORAGE:
		svc_host = "objectstorage";
		break;
	case REGION_SVC_WORKREQUESTS:
		svc_host = "iaas";
		break;
	default:
		return -EINVAL;
	}
	ret = snprintf(out, n, "https://%s.%s%s.%s", svc_host, r->id, oci,
		       r->domain);
	if (ret < 0 || (size_t)ret >= n) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

bool region_is_objectstorage_host(const struct region_info *r, const char *host)
{
	char want[160];
	size_t hlen, wlen, nslen;

	if (!r || !host || !r->id[0] || !r->domain[0])
		return false;
	snprintf(want, sizeof(want), "objectstorage.%s.%s", r->id, r->domain);
	if (!strcasecmp(host, want))
		return true;
	if (strcmp(r->realm, "oc1"))
		return false;
	/* {namespace}.objectstorage.{region}.oci.customer-oci.com */
	snprintf(want, sizeof(want), ".objectstorage.%s.oci.customer-oci.com",
		 r->id);
	hlen = strlen(host);
	wlen = strlen(want);
	if (hlen <= wlen || strcasecmp(host + hlen - wlen, want))
		return false;
	nslen = hlen - wlen;
	for (size_t i = 0; i < nslen; i++) {
		char c = host[i];

		if (!is_lower_alnum(c) && !(c >= 'A' && c <= 'Z') && c != '-' &&
		    c != '_')
			return false;
	}
	return true;
}
