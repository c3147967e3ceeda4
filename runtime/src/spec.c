// SPDX-License-Identifier: MIT
/*
 * spec.c - the device spec grammar (see npurt.h): a small recursive
 * descent parser that reports the exact position of the first error.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "spec.h"

#define NPURT_SPEC_ECHO_MAX	80	/* spec characters quoted in messages */

struct spec_parser {
	const char *text;
	size_t pos;
	struct npurt_spec *spec;
	size_t err_pos;
};

static int spec_fail(struct spec_parser *p, size_t pos, const char *why)
{
	/* Long specs are cut so that the position and reason always fit. */
	bool cut = strlen(p->text) > NPURT_SPEC_ECHO_MAX;

	p->err_pos = pos;
	return npurt_err(-EINVAL, "device spec \"%.*s%s\": syntax error at "
			 "position %zu: %s", NPURT_SPEC_ECHO_MAX, p->text,
			 cut ? "..." : "", pos, why);
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char spec_peek(const struct spec_parser *p)
{
	return p->text[p->pos];
}

static void spec_skip_blanks(struct spec_parser *p)
{
	while (spec_peek(p) == ' ' || spec_peek(p) == '\t')
		p->pos++;
}

static bool spec_accept(struct spec_parser *p, char c)
{
	if (spec_peek(p) != c)
		return false;
	p->pos++;
	return true;
}

static int spec_expect(struct spec_parser *p, char c, const char *why)
{
	return spec_accept(p, c) ? 0 : spec_fail(p, p->pos, why);
}

/* A decimal number, at most NPURT_SPEC_MAX_COUNT. */
static int spec_number(struct spec_parser *p, unsigned int *val)
{
	size_t start = p->pos;
	unsigned long v = 0;

	if (!is_digit(spec_peek(p)))
		return spec_fail(p, p->pos, "expected a number");
	while (is_digit(spec_peek(p))) {
		v = v * 10 + (unsigned long)(spec_peek(p) - '0');
		if (v > NPURT_SPEC_MAX_COUNT)
			return spec_fail(p, start, "number too large (most 1024)");
		p->pos++;
	}
	*val = (unsigned int)v;
	return 0;
}

/* "(" N ")" where N is in [lo, hi]; @why explains the range. */
static int spec_paren_number(struct spec_parser *p, unsigned int lo,
			     unsigned int hi, const char *why,
			     unsigned int *val)
{
	size_t at;
	int ret;

	p->pos++;	/* '(' */
	at = p->pos;
	ret = spec_number(p, val);
	if (ret)
		return ret;
	if (*val < lo || *val > hi)
		return spec_fail(p, at, why);
	return spec_expect(p, ')', "expected ')'");
}

/* Optional "-" Q after PE P: a fused range. */
static int spec_pe_range(struct spec_parser *p, struct npurt_spec_item *it)
{
	unsigned int last;
	size_t at;
	int ret;

	it->pe_count = 1;
	if (!spec_accept(p, '-'))
		return 0;
	at = p->pos;
	ret = spec_number(p, &last);
	if (ret)
		return ret;
	if (last <= it->pe_first)
		return spec_fail(p, at, "last PE of a range must follow the first");
	it->pe_count = last - it->pe_first + 1;
	return 0;
}

/* After "npu": ":" D ":" P ["-" Q]  or  D "pe" P ["-" Q]. */
static int spec_node(struct spec_parser *p, struct npurt_spec_item *it)
{
	bool colon = spec_accept(p, ':');
	int ret;

	it->kind = NPURT_SPEC_NODE;
	if (!colon && !is_digit(spec_peek(p)))
		return spec_fail(p, p->pos, "expected ':' or a device number "
				 "after \"npu\"");
	ret = spec_number(p, &it->dev);
	if (ret)
		return ret;
	if (colon) {
		ret = spec_expect(p, ':', "expected ':' before the PE number");
	} else if (strncmp(p->text + p->pos, "pe", 2)) {
		ret = spec_fail(p, p->pos, "expected \"pe\" after the device "
				"number");
	} else {
		p->pos += 2;
	}
	if (ret)
		return ret;
	ret = spec_number(p, &it->pe_first);
	if (ret)
		return ret;
	return spec_pe_range(p, it);
}

static int spec_cpu(struct spec_parser *p, struct npurt_spec_item *it)
{
	it->kind = NPURT_SPEC_CPU;
	it->threads = 0;
	if (spec_peek(p) != '(')
		return 0;
	return spec_paren_number(p, 1, NPURT_SPEC_MAX_COUNT,
				 "thread count must be 1..1024", &it->threads);
}

/* After "cuda": [":" N]; after "gpu": ":" N (N: CUDA device ordinal). */
static int spec_gpu(struct spec_parser *p, struct npurt_spec_item *it,
		    bool need_index)
{
	it->kind = NPURT_SPEC_GPU;
	it->dev = 0;
	if (!spec_accept(p, ':'))
		return need_index ? spec_fail(p, p->pos, "expected ':' and a "
					      "GPU number after \"gpu\"") : 0;
	return spec_number(p, &it->dev);
}

static int spec_arch(struct spec_parser *p, struct npurt_spec_item *it,
		     size_t start, size_t len)
{
	size_t at;
	int ret;

	if (len >= NPURT_ARCH_LEN)
		return spec_fail(p, start + NPURT_ARCH_LEN - 1,
				 "architecture name too long (most 15)");
	it->kind = NPURT_SPEC_ARCH;
	memcpy(it->arch, p->text + start, len);
	it->arch[len] = '\0';
	it->fuse = 1;
	it->count = 1;
	if (spec_peek(p) == '(') {
		ret = spec_paren_number(p, 1, 2, "fused PE count must be 1 or 2",
					&it->fuse);
		if (ret)
			return ret;
	}
	if (!spec_accept(p, '*'))
		return 0;
	at = p->pos;
	ret = spec_number(p, &it->count);
	if (ret)
		return ret;
	return it->count ? 0 : spec_fail(p, at, "device count must be at least 1");
}

static int spec_item(struct spec_parser *p, struct npurt_spec_item *it)
{
	size_t start = p->pos, len;

	memset(it, 0, sizeof(*it));
	it->pos = start;
	if (!is_lower(spec_peek(p)))
		return spec_fail(p, start, "expected a device (ARCH, npu..., "
				 "cpu, cuda, gpu:N or auto)");
	if (!strncmp(p->text + start, "npu", 3)) {
		p->pos += 3;
		return spec_node(p, it);
	}
	while (is_lower(spec_peek(p)) || is_digit(spec_peek(p)) ||
	       spec_peek(p) == '_')
		p->pos++;
	len = p->pos - start;
	if (len == 4 && !strncmp(p->text + start, "auto", 4)) {
		it->kind = NPURT_SPEC_AUTO;
		return 0;
	}
	if (len == 3 && !strncmp(p->text + start, "cpu", 3))
		return spec_cpu(p, it);
	if (len == 4 && !strncmp(p->text + start, "cuda", 4))
		return spec_gpu(p, it, false);
	if (len == 3 && !strncmp(p->text + start, "gpu", 3))
		return spec_gpu(p, it, true);
	return spec_arch(p, it, start, len);
}

/* "auto" stands alone: it already means every free device. */
static int spec_check_auto(struct spec_parser *p)
{
	unsigned int i;

	if (p->spec->num_items < 2)
		return 0;
	for (i = 0; i < p->spec->num_items; i++)
		if (p->spec->items[i].kind == NPURT_SPEC_AUTO)
			return spec_fail(p, p->spec->items[i].pos,
					 "\"auto\" cannot be combined with "
					 "other devices");
	return 0;
}

int npurt_spec_parse(const char *text, struct npurt_spec *spec,
		     size_t *err_pos)
{
	struct spec_parser p = { .text = text, .spec = spec };
	int ret;

	if (!text || !spec)
		return npurt_err(-EINVAL, "device spec: NULL argument");
	spec->num_items = 0;
	for (;;) {
		spec_skip_blanks(&p);
		if (spec->num_items == NPURT_SPEC_MAX_ITEMS) {
			ret = spec_fail(&p, p.pos, "too many items (most 64)");
			break;
		}
		ret = spec_item(&p, &spec->items[spec->num_items]);
		if (ret)
			break;
		spec->num_items++;
		spec_skip_blanks(&p);
		if (spec_accept(&p, ','))
			continue;
		if (spec_peek(&p) != '\0')
			ret = spec_fail(&p, p.pos, "expected ',' or the end");
		else
			ret = spec_check_auto(&p);
		break;
	}
	if (ret && err_pos)
		*err_pos = p.err_pos;
	return ret;
}

NPURT_API int npurt_spec_check(const char *spec, size_t *err_pos)
{
	struct npurt_spec parsed;

	return npurt_spec_parse(spec, &parsed, err_pos);
}

void npurt_spec_node_name(unsigned int dev, unsigned int pe_first,
			  unsigned int pe_count, char *buf, size_t len)
{
	if (pe_count > 1)
		snprintf(buf, len, "npu%upe%u-%u", dev, pe_first,
			 pe_first + pe_count - 1);
	else
		snprintf(buf, len, "npu%upe%u", dev, pe_first);
}
