// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf: finds the command, parses its options, runs it, and turns its
 * result into the exit status. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "cli.h"

/* Library chatter only with -vv (xdp-tools' convention); warnings with -v. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (globals.verbose >= 2 || (globals.verbose == 1 && level == LIBBPF_WARN))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (globals.verbose >= 2 || (globals.verbose == 1 && level == LIBXDP_WARN))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* The command named by argv[0] (and argv[1] for two-word commands). */
static const struct command *find_command(int argc, char **argv, int *words)
{
	for (size_t i = 0; i < command_count; i++) {
		const char *name = commands[i].name;
		const char *space = strchr(name, ' ');

		if (!space && !strcmp(argv[0], name)) {
			*words = 1;
			return &commands[i];
		}
		if (space && argc >= 2 && !strncmp(argv[0], name, (size_t)(space - name)) &&
		    argv[0][space - name] == 0 && !strcmp(argv[1], space + 1)) {
			*words = 2;
			return &commands[i];
		}
	}
	return NULL;
}

static bool is_command_group(const char *word)
{
	return !strcmp(word, "vip") || !strcmp(word, "backend") || !strcmp(word, "announce");
}

static int option_index(const struct command *cmd, const char *name, size_t len)
{
	for (int i = 0; i < CLI_MAX_OPTS && cmd->options[i].name; i++)
		if (strlen(cmd->options[i].name) == len && !strncmp(cmd->options[i].name, name, len))
			return i;
	return -1;
}

static int alias_index(const struct command *cmd, char letter)
{
	const char *name = cli_alias_option(cmd, letter);

	return name ? option_index(cmd, name, strlen(name)) : -1;
}

/* Options anywhere after the command: --name VALUE, --name=VALUE, --flag,
 * and -x VALUE / -x for an option with a one-letter alias. */
static int parse_args(const struct command *cmd, int argc, char **argv, struct cli_args *args)
{
	memset(args, 0, sizeof(*args));
	args->cmd = cmd;
	for (int i = 0; i < argc; i++) {
		char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help_command(stdout, cmd);
			return -1;
		}
		if ((!strncmp(a, "--", 2) && a[2]) || (a[0] == '-' && a[1] && a[1] != '-' && !a[2])) {
			const char *eq = a[1] == '-' ? strchr(a + 2, '=') : NULL;
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			int idx = a[1] == '-' ? option_index(cmd, a + 2, len) : alias_index(cmd, a[1]);

			if (idx < 0 && a[1] != '-')
				return usage_error(cmd, "unknown option '%s' for '%s'", a, cmd->name);
			if (idx < 0)
				return usage_error(cmd, "unknown option '%.*s' for '%s'", (int)len + 2, a,
						   cmd->name);
			if (!cmd->options[idx].arg) {
				if (eq)
					return usage_error(cmd, "option --%s takes no value", cmd->options[idx].name);
				args->opt[idx] = "";
			} else if (eq) {
				args->opt[idx] = eq + 1;
			} else if (i + 1 < argc) {
				args->opt[idx] = argv[++i];
			} else {
				return usage_error(cmd, "option --%s needs a value (%s)", cmd->options[idx].name,
						   cmd->options[idx].arg);
			}
			continue;
		}
		if (args->npos >= cmd->max_pos)
			return usage_error(cmd, "unexpected argument '%s'", a);
		args->pos[args->npos++] = a;
	}
	if (args->npos < cmd->min_pos)
		return usage_error(cmd, "'%s' needs %s", cmd->name, cmd->synopsis);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	struct cli_args args;
	int i = 1, words, err;

	globals.pin_dir = getenv("SIOBPF_PIN_DIR");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v"))
			globals.verbose = 1;
		else if (!strcmp(argv[i], "-vv"))
			globals.verbose = 2;
		else if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc)
			globals.pin_dir = argv[++i];
		else if (!strncmp(argv[i], "--pin-dir=", 10))
			globals.pin_dir = argv[i] + 10;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			help_all(stdout);
			return EXIT_OK;
		} else
			return usage_error(NULL, "unknown option '%s'", argv[i]);
	}
	if (i >= argc) {
		help_all(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argc - i, argv + i, &words);
	if (!cmd) {
		if (is_command_group(argv[i]))
			return usage_error(NULL, "'%s' needs a subcommand: %s", argv[i],
					   strcmp(argv[i], "announce") ? "add, set or del" : "withdraw or resume");
		return usage_error(NULL, "unknown command '%s'", argv[i]);
	}
	err = parse_args(cmd, argc - i - words, argv + i + words, &args);
	if (err)
		return err < 0 ? EXIT_OK : err;
	if (cli_opt(&args, "pin-dir"))
		globals.pin_dir = cli_opt(&args, "pin-dir");
	if (!globals.pin_dir || !*globals.pin_dir)
		globals.pin_dir = SIOBPF_DEFAULT_PIN_DIR;

	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
	return cmd->run(&args);
}
