// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Messages, global settings and option access shared by every command. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cli_globals globals;

static void vpr(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr("siobpf: error: ", fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr("siobpf: warning: ", fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr("siobpf: ", fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (globals.verbose < 1)
		return;
	va_start(ap, fmt);
	vpr("siobpf: debug: ", fmt, ap);
	va_end(ap);
}

int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr("siobpf: ", fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "usage: siobpf %s%s%s [options]; see siobpf %s --help\n", cmd->name,
			*cmd->synopsis ? " " : "", cmd->synopsis, cmd->name);
	else
		fprintf(stderr, "see siobpf help\n");
	return EXIT_USAGE;
}

const char *cli_opt(const struct cli_args *args, const char *name)
{
	for (int i = 0; i < CLI_MAX_OPTS && args->cmd->options[i].name; i++)
		if (!strcmp(args->cmd->options[i].name, name))
			return args->opt[i];
	return NULL;
}

bool cli_flag(const struct cli_args *args, const char *name)
{
	return cli_opt(args, name) != NULL;
}

char cli_alias_letter(const struct command *cmd, const char *option)
{
	for (size_t i = 0; i < cli_alias_count; i++)
		if (!strcmp(cli_aliases[i].command, cmd->name) && !strcmp(cli_aliases[i].option, option))
			return cli_aliases[i].letter;
	return 0;
}

const char *cli_alias_option(const struct command *cmd, char letter)
{
	for (size_t i = 0; i < cli_alias_count; i++)
		if (!strcmp(cli_aliases[i].command, cmd->name) && cli_aliases[i].letter == letter)
			return cli_aliases[i].option;
	return NULL;
}
