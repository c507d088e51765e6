/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The command-line framework: the command table (the one source of help,
 * README reference and man page), option parsing, messages, exit codes. */
#ifndef SIOBPF_CLI_H
#define SIOBPF_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* the command could not do its job */
	EXIT_USAGE = 2, /* the command line itself is wrong */
};

#define CLI_MAX_OPTS 16
#define CLI_MAX_POS 4

struct cli_option {
	const char *name;  /* long name, without "--" */
	const char *arg;   /* metavariable, or NULL for a flag */
	const char *help;
};

/* A one-letter alias of a command's long option: `apply -f FILE` for
 * `apply --file FILE`. Kept beside the command table, not in struct
 * cli_option, so that the table's three-field option entries stay whole. */
struct cli_alias {
	const char *command; /* "apply" */
	char letter;         /* 'f' */
	const char *option;  /* "file" */
};

extern const struct cli_alias cli_aliases[];
extern const size_t cli_alias_count;

struct cli_args {
	const struct command *cmd;
	int npos;
	char *pos[CLI_MAX_POS];
	const char *opt[CLI_MAX_OPTS]; /* by index in cmd->options; flags get "" */
};

struct command {
	const char *name;     /* "vip add" */
	const char *synopsis; /* positional part: "VIP ADDR" */
	int min_pos, max_pos;
	const char *summary;  /* one line */
	const char *details;  /* a paragraph, or NULL */
	struct cli_option options[CLI_MAX_OPTS];
	int (*run)(struct cli_args *args);
};

extern const struct command commands[];
extern const size_t command_count;

/* Global settings from the command line and the environment. */
struct cli_globals {
	int verbose;          /* -v: 1, -vv: 2 */
	const char *pin_dir;  /* --pin-dir, $SIOBPF_PIN_DIR, or the default */
};
extern struct cli_globals globals;

#define SIOBPF_DEFAULT_PIN_DIR "/sys/fs/bpf/siobpf"

/* The value of an option by name, NULL when absent. */
const char *cli_opt(const struct cli_args *args, const char *name);
bool cli_flag(const struct cli_args *args, const char *name);
/* The letter of an option's alias, or 0; the option a letter stands for, or NULL. */
char cli_alias_letter(const struct command *cmd, const char *option);
const char *cli_alias_option(const struct command *cmd, char letter);

/* Messages go to stderr; errors say what failed and what to do next. */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error for a command: prints the message and the command's usage,
 * returns EXIT_USAGE. */
int usage_error(const struct command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Help renderers (help.c). */
void help_command(FILE *out, const struct command *cmd);
void help_all(FILE *out);
void help_markdown(FILE *out);
void help_man(FILE *out);
/* The bash completion script (completion.c). */
void help_bash_completion(FILE *out);

/* Command handlers. */
int cmd_load(struct cli_args *args);
int cmd_reload(struct cli_args *args);
int cmd_unload(struct cli_args *args);
int cmd_vip_add(struct cli_args *args);
int cmd_vip_set(struct cli_args *args);
int cmd_vip_del(struct cli_args *args);
int cmd_backend_add(struct cli_args *args);
int cmd_backend_set(struct cli_args *args);
int cmd_backend_del(struct cli_args *args);
int cmd_status(struct cli_args *args);
int cmd_stats(struct cli_args *args);
int cmd_lookup(struct cli_args *args);
int cmd_check(struct cli_args *args);
int cmd_apply(struct cli_args *args);
int cmd_save(struct cli_args *args);
int cmd_run(struct cli_args *args);
int cmd_announce_withdraw(struct cli_args *args);
int cmd_announce_resume(struct cli_args *args);
int cmd_help(struct cli_args *args);
int cmd_version(struct cli_args *args);

#endif /* SIOBPF_CLI_H */
