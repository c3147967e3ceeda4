// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_nodes: the loaded module's num_devices and num_pes decide exactly
 * which npu* nodes exist in /dev and /sys/class/npu: npuX, npuXpeY for
 * every PE, npuXpeY-Z for every aligned PE pair, and nothing else.
 */
#include <dirent.h>
#include <sys/sysmacros.h>

#include "test_util.h"

#define MAX_NODES	(16 * 16)

struct node_set {
	char name[MAX_NODES][24];
	unsigned int count;
};

static void set_add(struct node_set *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_add(struct node_set *s, const char *fmt, ...)
{
	va_list ap;

	assert_true(s->count < MAX_NODES);
	va_start(ap, fmt);
	vsnprintf(s->name[s->count++], sizeof(s->name[0]), fmt, ap);
	va_end(ap);
}

static int set_find(const struct node_set *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->count; i++)
		if (!strcmp(s->name[i], name))
			return (int)i;
	return -1;
}

/* The nodes the module parameters call for. */
static void expected_nodes(struct node_set *s)
{
	unsigned int devs = npu_param("num_devices");
	unsigned int pes = npu_param("num_pes");
	unsigned int d, p;

	s->count = 0;
	for (d = 0; d < devs; d++) {
		set_add(s, "npu%u", d);
		for (p = 0; p < pes; p++)
			set_add(s, "npu%upe%u", d, p);
		/* Aligned pairs only; an odd last PE has no fused node. */
		for (p = 0; p + 1 < pes; p += 2)
			set_add(s, "npu%upe%u-%u", d, p, p + 1);
	}
}

/* The npu* entries of @dir. */
static void listed_nodes(const char *dir, struct node_set *s)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		fail_msg("opendir %s: %s", dir, strerror(errno));
	s->count = 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "npu", 3))
			continue;
		if (set_find(s, de->d_name) >= 0)
			fail_msg("%s/%s listed twice", dir, de->d_name);
		set_add(s, "%s", de->d_name);
	}
	closedir(d);
}

static void assert_same_nodes(const char *dir)
{
	struct node_set want, got;
	unsigned int i;

	expected_nodes(&want);
	listed_nodes(dir, &got);
	for (i = 0; i < want.count; i++)
		if (set_find(&got, want.name[i]) < 0)
			fail_msg("%s/%s is missing", dir, want.name[i]);
	for (i = 0; i < got.count; i++)
		if (set_find(&want, got.name[i]) < 0)
			fail_msg("%s/%s should not exist", dir, got.name[i]);
	assert_int_equal(got.count, want.count);
}

static void test_class_entries(void **state)
{
	(void)state;
	assert_same_nodes(NPU_CLASS_DIR);
}

static void test_dev_entries(void **state)
{
	(void)state;
	assert_same_nodes(NPU_DEV_DIR);
}

/*
 * Every /dev node is a character device whose number is the one sysfs
 * gives, and no two nodes share a number.
 */
static void test_dev_numbers(void **state)
{
	struct node_set want;
	dev_t seen[MAX_NODES];
	unsigned int i, j;

	(void)state;
	expected_nodes(&want);
	for (i = 0; i < want.count; i++) {
		char path[64], buf[32];
		unsigned int maj, min;
		struct stat st;

		snprintf(path, sizeof(path), NPU_DEV_DIR "/%s", want.name[i]);
		assert_ok(stat(path, &st));
		if (!S_ISCHR(st.st_mode))
			fail_msg("%s is not a character device (mode 0%o)",
				 path, st.st_mode);
		npu_sysfs(want.name[i], "dev", buf, sizeof(buf));
		if (sscanf(buf, "%u:%u", &maj, &min) != 2)
			fail_msg("%s/dev is \"%s\"", want.name[i], buf);
		if (major(st.st_rdev) != maj || minor(st.st_rdev) != min)
			fail_msg("%s is %u:%u, sysfs says %u:%u", path,
				 major(st.st_rdev), minor(st.st_rdev), maj, min);
		for (j = 0; j < i; j++)
			if (seen[j] == st.st_rdev)
				fail_msg("%s shares its number with %s", path,
					 want.name[j]);
		seen[i] = st.st_rdev;
	}
}

/* The nodes are usable: each one opens (and closes) on its own. */
static void test_nodes_open(void **state)
{
	struct node_set want;
	unsigned int i;

	(void)state;
	expected_nodes(&want);
	for (i = 0; i < want.count; i++)
		close(npu_open(want.name[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_entries),
		cmocka_unit_test(test_dev_entries),
		cmocka_unit_test(test_dev_numbers),
		cmocka_unit_test_teardown(test_nodes_open, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
