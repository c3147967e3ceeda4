// SPDX-License-Identifier: MIT
/*
 * smi_table.c - npu-smi's text views: the device table, `info`, `ps`.
 * Scripts should use --json or --query; this layout may change.
 */
#include <inttypes.h>
#include <string.h>

#include "smi.h"

static const char *fmt_mib(uint64_t bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
	return buf;
}

/*
 * Who holds the node now: the first process with a descriptor of it and
 * how many more there are; else (a mapping alone holds it, or /proc hides
 * the holder) the opener sysfs names.
 */
static const char *fmt_owner(const struct smi_node *n, char *buf, size_t len)
{
	if (n->holders > 1)
		snprintf(buf, len, "%d (%s) +%u", n->holder_pid,
			 n->holder_comm[0] ? n->holder_comm : "?",
			 n->holders - 1);
	else if (n->holders)
		snprintf(buf, len, "%d (%s)", n->holder_pid,
			 n->holder_comm[0] ? n->holder_comm : "?");
	else if (n->info.owner_pid <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d (%s)", n->info.owner_pid,
			 n->owner_comm[0] ? n->owner_comm : "?");
	return buf;
}

static const char *fmt_pes(const struct smi_node *n, char *buf, size_t len)
{
	if (n->info.pe_count > 1)
		snprintf(buf, len, "%u-%u", n->info.pe_first,
			 n->info.pe_first + n->info.pe_count - 1);
	else
		snprintf(buf, len, "%u", n->info.pe_first);
	return buf;
}

static const char *fmt_bus(const struct smi_dev *d, char *buf, size_t len)
{
	if (d->is_virtual)
		snprintf(buf, len, "virtual (%s %s)",
			 d->bus_type[0] ? d->bus_type : "none",
			 d->bus_id[0] ? d->bus_id : "-");
	else
		snprintf(buf, len, "%s %s", d->bus_type, d->bus_id);
	return buf;
}

static const char *fmt_util(const struct smi_sys *sys, double u, char *buf,
			    size_t len)
{
	if (sys->interval_s > 0)
		snprintf(buf, len, "%.0f%%", u * 100.0);
	else
		snprintf(buf, len, "-");
	return buf;
}

void smi_print_table(FILE *out, const struct smi_sys *sys)
{
	char used[32], total[32], bus[128], util[16], pes[16], owner[96];
	char fw[40];
	size_t i, j;

	fprintf(out, "%-4s %-8s %-5s %-16s %-23s %-5s %-5s %s\n", "NPU",
		"Arch", "PEs", "Firmware", "Memory used / total", "Util",
		"NUMA", "Bus");
	for (i = 0; i < sys->num_devs; i++) {
		const struct smi_dev *d = &sys->devs[i];
		char mem[80];

		snprintf(fw, sizeof(fw), "%s %s", d->info.fw_version,
			 d->info.fw_state);
		snprintf(mem, sizeof(mem), "%s / %s",
			 fmt_mib(d->info.mem_used, used, sizeof(used)),
			 fmt_mib(d->info.mem_total, total, sizeof(total)));
		fprintf(out, "%-4u %-8s %u/%-3u %-16s %-23s %-5s %-5d %s\n",
			d->info.index, d->info.arch, d->pes_open,
			d->info.num_pes, fw, mem,
			fmt_util(sys, d->util, util, sizeof(util)),
			d->info.numa_node, fmt_bus(d, bus, sizeof(bus)));
	}
	fprintf(out, "\n%-12s %-5s %-6s %-11s %-5s %s\n", "Node", "PEs",
		"Kind", "State", "Util", "Owner");
	for (i = 0; i < sys->num_devs; i++) {
		const struct smi_dev *d = &sys->devs[i];

		for (j = 0; j < d->num_nodes; j++) {
			const struct smi_node *n = &d->nodes[j];

			fprintf(out, "%-12s %-5s %-6s %-11s %-5s %s\n",
				n->info.name, fmt_pes(n, pes, sizeof(pes)),
				n->fused ? "fused" : "single", n->info.state,
				fmt_util(sys, n->util, util, sizeof(util)),
				fmt_owner(n, owner, sizeof(owner)));
		}
	}
}

void smi_print_info(FILE *out, const struct smi_dev *d)
{
	char buf[128], pes[16], owner[96];
	size_t j;

	fprintf(out, "npu%u\n", d->info.index);
	fprintf(out, "  %-16s %s\n", "arch", d->info.arch);
	fprintf(out, "  %-16s %u\n", "num_pes", d->info.num_pes);
	fprintf(out, "  %-16s %u\n", "pes_open", d->pes_open);
	fprintf(out, "  %-16s %s\n", "fw_state", d->info.fw_state);
	fprintf(out, "  %-16s %s\n", "fw_version", d->info.fw_version);
	fprintf(out, "  %-16s 0x%" PRIx64 "\n", "fw_caps", d->info.fw_caps);
	fprintf(out, "  %-16s %s\n", "abi_version", d->info.abi_version);
	fprintf(out, "  %-16s %s\n", "uuid", d->info.uuid);
	fprintf(out, "  %-16s %d\n", "numa_node", d->info.numa_node);
	fprintf(out, "  %-16s %s\n", "bus", fmt_bus(d, buf, sizeof(buf)));
	if (!d->is_virtual)
		fprintf(out, "  %-16s %s\n", "pci_device",
			d->pci_name[0] ? d->pci_name : "unknown");
	fprintf(out, "  %-16s %" PRIu64 "\n", "mem_total", d->info.mem_total);
	fprintf(out, "  %-16s %" PRIu64 "\n", "mem_used", d->info.mem_used);
	fprintf(out, "  %-16s %u\n", "bo_count", d->info.bo_count);
	for (j = 0; j < d->num_nodes; j++) {
		const struct smi_node *n = &d->nodes[j];

		fprintf(out, "  %s\n", n->info.name);
		fprintf(out, "    %-16s %s\n", "devnode", n->info.devnode);
		fprintf(out, "    %-16s %s\n", "pes", fmt_pes(n, pes, sizeof(pes)));
		fprintf(out, "    %-16s %s\n", "kind", n->fused ? "fused" : "single");
		fprintf(out, "    %-16s %s\n", "state", n->info.state);
		fprintf(out, "    %-16s %s\n", "owner",
			fmt_owner(n, owner, sizeof(owner)));
		if (n->fused)
			continue;
		fprintf(out, "    %-16s %" PRIu64 "\n", "busy_ns",
			n->info.busy_ns);
		fprintf(out, "    %-16s %" PRIu64 "\n", "jobs_completed",
			n->info.jobs_completed);
		fprintf(out, "    %-16s %" PRIu64 "\n", "jobs_failed",
			n->info.jobs_failed);
		fprintf(out, "    %-16s %" PRIu64 "\n", "bytes_moved",
			n->info.bytes_moved);
		fprintf(out, "    %-16s %" PRIu64 "\n", "ops", n->info.ops);
	}
}

void smi_print_procs(FILE *out, const struct smi_proc *procs, size_t n)
{
	size_t i;

	fprintf(out, "%-8s %-16s %-12s %-8s %-14s %s\n", "PID", "Command",
		"Node", "Client", "Memory", "Buffers");
	for (i = 0; i < n; i++) {
		const struct smi_proc *p = &procs[i];
		char mem[32], bos[32], client[32];

		if (p->mem_bytes < 0)
			snprintf(mem, sizeof(mem), "-");
		else
			snprintf(mem, sizeof(mem), "%" PRId64, p->mem_bytes);
		if (p->bo_count < 0)
			snprintf(bos, sizeof(bos), "-");
		else
			snprintf(bos, sizeof(bos), "%" PRId64, p->bo_count);
		if (p->client_id < 0)
			snprintf(client, sizeof(client), "-");
		else
			snprintf(client, sizeof(client), "%" PRId64,
				 p->client_id);
		fprintf(out, "%-8d %-16s %-12s %-8s %-14s %s\n", p->pid,
			p->comm, p->node, client, mem, bos);
	}
	if (!n)
		fprintf(out, "(no process has an NPU node open)\n");
}
