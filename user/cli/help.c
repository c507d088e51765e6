// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Renders the command table as terminal help, Markdown (the README's
 * command reference) and troff (the man page), so the three agree. */
#include <string.h>

#include "siobpf/abi.h"
#include "cli.h"

static int option_count(const struct command *cmd)
{
	int n = 0;

	while (n < CLI_MAX_OPTS && cmd->options[n].name)
		n++;
	return n;
}

static const char *synopsis(const struct command *cmd)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "siobpf %s%s%s%s", cmd->name, *cmd->synopsis ? " " : "",
		 cmd->synopsis, option_count(cmd) ? " [options]" : "");
	return buf;
}

/* A command's summary as a sentence: capitalised (the command list keeps
 * it lower case, like other tools' help). */
static const char *sentence(const char *summary)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", summary);
	if (buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
	return buf;
}

void help_command(FILE *out, const struct command *cmd)
{
	fprintf(out, "usage: %s\n\n%s.\n", synopsis(cmd), sentence(cmd->summary));
	if (cmd->details)
		fprintf(out, "%s\n", cmd->details);
	if (option_count(cmd))
		fprintf(out, "\noptions:\n");
	for (int i = 0; i < option_count(cmd); i++) {
		const struct cli_option *o = &cmd->options[i];
		char flag[64], alias[8] = "";

		if (cli_alias_letter(cmd, o->name))
			snprintf(alias, sizeof(alias), "-%c, ", cli_alias_letter(cmd, o->name));
		snprintf(flag, sizeof(flag), "%s--%s%s%s", alias, o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(out, "  %-34s %s\n", flag, o->help);
	}
}

void help_all(FILE *out)
{
	fprintf(out, "usage: siobpf [-v|-vv] [--pin-dir DIR] COMMAND [options]\n\n"
		     "A sticky XDP load balancer: every connection of a client reaches the same backend.\n\n"
		     "commands:\n");
	for (size_t i = 0; i < command_count; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s %s", commands[i].name, commands[i].synopsis);
		fprintf(out, "  %-32s %s\n", name, commands[i].summary);
	}
	fprintf(out, "\nsiobpf COMMAND --help shows a command's options. The pin directory is\n"
		     "$SIOBPF_PIN_DIR when set, else " SIOBPF_DEFAULT_PIN_DIR ".\n"
		     "Exit status: 0 success, 1 failure, 2 bad usage.\n");
}

void help_markdown(FILE *out)
{
	fprintf(out, "Every command takes `--pin-dir DIR` (or `$SIOBPF_PIN_DIR`; default `%s`); "
		     "`-v`/`-vv` before the command show more. Exit status: 0 success, 1 failure, "
		     "2 bad usage.\n",
		SIOBPF_DEFAULT_PIN_DIR);
	for (size_t i = 0; i < command_count; i++) {
		const struct command *cmd = &commands[i];

		fprintf(out, "\n#### `%s`\n\n%s.", synopsis(cmd), sentence(cmd->summary));
		if (cmd->details)
			fprintf(out, " %s", cmd->details);
		fprintf(out, "\n");
		for (int o = 0; o < option_count(cmd); o++) {
			const struct cli_option *opt = &cmd->options[o];

			if (!strcmp(opt->name, "pin-dir"))
				continue;
			fprintf(out, "%s- `", o == 0 ? "\n" : "");
			if (cli_alias_letter(cmd, opt->name))
				fprintf(out, "-%c`, `", cli_alias_letter(cmd, opt->name));
			fprintf(out, "--%s%s%s`: %s\n", opt->name, opt->arg ? " " : "", opt->arg ? opt->arg : "",
				opt->help);
		}
	}
}

/* troff treats a leading '.' or '\'' as a request, and '\\' as an escape. */
static void troff_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void help_man(FILE *out)
{
	fprintf(out, ".TH SIOBPF 8 \"\" \"siobpf\" \"System Administration\"\n"
		     ".SH NAME\nsiobpf \\- sticky XDP load balancer for Socket.IO and other session protocols\n"
		     ".SH SYNOPSIS\n.B siobpf\n[\\-v|\\-vv] [\\-\\-pin\\-dir DIR] COMMAND [options]\n"
		     ".SH DESCRIPTION\nsiobpf sends every connection of a client to the same backend from an XDP "
		     "program on the NIC, and forwards by direct server return. VIPs and backends live in "
		     "BPF maps pinned in the pin directory.\n.SH COMMANDS\n");
	for (size_t i = 0; i < command_count; i++) {
		const struct command *cmd = &commands[i];

		fprintf(out, ".TP\n.B ");
		troff_text(out, synopsis(cmd));
		fprintf(out, "\n");
		troff_text(out, sentence(cmd->summary));
		fprintf(out, ".");
		if (cmd->details) {
			fprintf(out, " ");
			troff_text(out, cmd->details);
		}
		fprintf(out, "\n");
		for (int o = 0; o < option_count(cmd); o++) {
			const struct cli_option *opt = &cmd->options[o];

			fprintf(out, ".RS\n.TP\n.B ");
			if (cli_alias_letter(cmd, opt->name))
				fprintf(out, "\\-%c, ", cli_alias_letter(cmd, opt->name));
			fprintf(out, "\\-\\-");
			troff_text(out, opt->name);
			if (opt->arg) {
				fprintf(out, " ");
				troff_text(out, opt->arg);
			}
			fprintf(out, "\n");
			troff_text(out, opt->help);
			fprintf(out, "\n.RE\n");
		}
	}
	fprintf(out, ".SH ENVIRONMENT\n.TP\n.B SIOBPF_PIN_DIR\nthe pin directory (default %s)\n"
		     ".SH EXIT STATUS\n0 on success, 1 on failure, 2 on bad usage.\n",
		SIOBPF_DEFAULT_PIN_DIR);
}

int cmd_help(struct cli_args *args)
{
	if (cli_flag(args, "markdown")) {
		help_markdown(stdout);
		return EXIT_OK;
	}
	if (cli_flag(args, "man")) {
		help_man(stdout);
		return EXIT_OK;
	}
	if (cli_flag(args, "bash-completion")) {
		help_bash_completion(stdout);
		return EXIT_OK;
	}
	if (args->npos == 0) {
		help_all(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < command_count; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s%s", args->pos[0], args->npos > 1 ? " " : "",
			 args->npos > 1 ? args->pos[1] : "");
		if (!strcmp(commands[i].name, name)) {
			help_command(stdout, &commands[i]);
			return EXIT_OK;
		}
	}
	return usage_error(NULL, "no command '%s%s%s'", args->pos[0], args->npos > 1 ? " " : "",
			   args->npos > 1 ? args->pos[1] : "");
}

int cmd_version(struct cli_args *args)
{
	(void)args;
	printf("siobpf %s (ring %u slots, %u VIPs, %u backends)\n", SIOBPF_VERSION, SIOBPF_RING_SIZE,
	       SIOBPF_MAX_VIPS, SIOBPF_MAX_BACKENDS);
	return EXIT_OK;
}
