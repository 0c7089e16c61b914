/* SPDX-License-Identifier: MIT */
/* ovfs: helpers on the filesystem context; see include/ovfs.h. */
#include <errno.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <string.h>

#include "buf.h"
#include "oci.h"
#include "ovfs.h"
#include "banned.h"

int ovfs_namespace(struct ovfs *o, char *ns, struct oci_error *err)
{
	char fresh[OVFS_NS_MAX];
	int ret;

	pthread_mutex_lock(&o->ns_lock);
	buf_copy(ns, OVFS_NS_MAX, o->ns);
	pthread_mutex_unlock(&o->ns_lock);
	if (ns[0])
		return 0;
	ret = oci_get_namespace(o->client, NULL, fresh, err);
	if (ret)
		return ret;
	pthread_mutex_lock(&o->ns_lock);
	buf_copy(o->ns, sizeof(o->ns), fresh);
	pthread_mutex_unlock(&o->ns_lock);
	return buf_copy(ns, OVFS_NS_MAX, fresh);
}

bool ovfs_exiting(struct ovfs *o)
{
	return o->fuse && fuse_session_exited(fuse_get_session(o->fuse));
}
