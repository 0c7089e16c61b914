/* SPDX-License-Identifier: MIT */
/* restores: key and vault restores; see include/restores.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "restores.h"
#include "log.h"
#include "oci.h"
#include "tree.h"
#include "banned.h"

struct restores {
	struct restores_opts opts;
	pthread_mutex_t lock;
	bool started;
};

int restores_new(struct restores **out, const struct restores_opts *opts)
{
	struct restores *r;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->opts = *opts;
	if (!r->opts.write_timeout_ms)
		r->opts.write_timeout_ms = 30000;
	if (!r->opts.max_file_bytes)
		r->opts.max_file_bytes = RESTORES_FILE_MAX;
	if (pthread_mutex_init(&r->lock, NULL)) {
		free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

int restores_start(struct restores *r)
{
	pthread_mutex_lock(&r->lock);
	r->started = true;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

void restores_stop(struct restores *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->started = false;
	pthread_mutex_unlock(&r->lock);
}

void restores_free(struct restores *r)
{
	if (!r)
		return;
	restores_stop(r);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int restores_submit(struct restores *r, struct tree_node *where,
		    const char *data, size_t len,
		    bool (*interrupted)(void *arg), void *arg)
{
	(void)r;
	(void)where;
	(void)data;
	(void)len;
	(void)interrupted;
	(void)arg;
	return -ENOSYS;
}

int restores_submit_file(struct restores *r, struct tree_node *where,
			 const char *name, const unsigned char *bytes,
			 size_t len, bool (*interrupted)(void *arg), void *arg)
{
	(void)r;
	(void)where;
	(void)name;
	(void)bytes;
	(void)len;
	(void)interrupted;
	(void)arg;
	return -ENOSYS;
}

int restores_status(struct restores *r, struct tree_node *where,
		    struct buf *out)
{
	(void)r;
	(void)where;
	return buf_adds(out, "state: none\n");
}

int restores_wait(struct restores *r, struct tree_node *where,
		  bool (*interrupted)(void *arg), void *arg, struct buf *out)
{
	(void)interrupted;
	(void)arg;
	return restores_status(r, where, out);
}

int restores_list(struct restores *r, struct buf *out)
{
	(void)r;
	(void)out;
	return 0;
}

int restores_help(struct restores *r, struct tree_node *where, struct buf *out)
{
	(void)r;
	(void)where;
	return buf_adds(out, "# restore: not implemented yet\n");
}
