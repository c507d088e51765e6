// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Renders the command table as a bash completion script (`siobpf help
 * --bash-completion`): commands, options and the values their syntax names,
 * so that completion offers what `siobpf help` documents. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "cli.h"

/* A metavariable that is its own value: a choice (ip|ip-port) or one
 * lower-case word (dsr). N, MS, PATH or [ADDR:]PORT stand for a value. */
static bool is_literal(const char *meta)
{
	bool choice = strchr(meta, '|') != NULL, upper = false;

	for (const char *s = meta; *s; s++) {
		if (!isalnum((unsigned char)*s) && !strchr("|-_.", *s))
			return false;
		upper |= isupper((unsigned char)*s) != 0;
	}
	return choice || !upper;
}

/* Prints how the script completes a value, as its _siobpf_complete takes it:
 * "flag" (no value), "words W...", a kind it knows, or "text" (nothing to
 * offer). VIP and ADDR name configured objects only as positional arguments. */
static void print_kind(FILE *out, const char *meta, bool positional)
{
	static const struct {
		const char *meta, *kind;
		bool positional_only;
	} named[] = {
		{"IFACE", "iface", false},
		{"FILE", "file", false},
		{"DIR", "dir", false},
		{"VIP", "vip", true},         /* a VIP of status --json */
		{"ADDR", "backend", true},    /* a backend of the VIP before it */
		{"COMMAND", "command", true}, /* a command name, as help takes it */
	};

	if (!meta) {
		fputs("flag", out);
		return;
	}
	if (is_literal(meta)) {
		fputs("words ", out);
		for (const char *s = meta; *s; s++)
			fputc(*s == '|' ? ' ' : *s, out);
		return;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcmp(meta, named[i].meta) && (positional || !named[i].positional_only)) {
			fputs(named[i].kind, out);
			return;
		}
	fputs("text", out);
}

static size_t first_word_len(const char *name)
{
	const char *space = strchr(name, ' ');

	return space ? (size_t)(space - name) : strlen(name);
}

/* Whether commands[i] is the first command of the table to start with its
 * first word (vip add, not vip set): the word is listed once. */
static bool first_with_word(size_t i)
{
	size_t len = first_word_len(commands[i].name);

	for (size_t j = 0; j < i; j++)
		if (first_word_len(commands[j].name) == len && !strncmp(commands[j].name, commands[i].name, len))
			return false;
	return true;
}

static void print_commands(FILE *out)
{
	fputs("\n# _siobpf_commands WORD: the first words of the commands (WORD empty), or\n"
	      "# the second words of a group such as vip (none for a one-word command).\n"
	      "_siobpf_commands() {\n\tcase $1 in\n\t\"\") reply=\"",
	      out);
	for (size_t i = 0, n = 0; i < command_count; i++)
		if (first_with_word(i))
			fprintf(out, "%s%.*s", n++ ? " " : "", (int)first_word_len(commands[i].name),
				commands[i].name);
	fputs("\" ;;\n", out);
	for (size_t i = 0; i < command_count; i++) {
		size_t len = first_word_len(commands[i].name);

		if (!commands[i].name[len] || !first_with_word(i))
			continue;
		fprintf(out, "\t%.*s) reply=\"", (int)len, commands[i].name);
		for (size_t j = i, n = 0; j < command_count; j++)
			if (!strncmp(commands[j].name, commands[i].name, len) && commands[j].name[len] == ' ')
				fprintf(out, "%s%s", n++ ? " " : "", commands[j].name + len + 1);
		fputs("\" ;;\n", out);
	}
	fputs("\t*) reply= ;;\n\tesac\n}\n", out);
}

static void print_options(FILE *out)
{
	fputs("\n# _siobpf_options COMMAND: its options, with their one-letter aliases.\n"
	      "_siobpf_options() {\n\tcase $1 in\n",
	      out);
	for (size_t i = 0; i < command_count; i++) {
		const struct command *cmd = &commands[i];

		fprintf(out, "\t\"%s\") reply=\"", cmd->name);
		for (int o = 0; o < CLI_MAX_OPTS && cmd->options[o].name; o++) {
			char letter = cli_alias_letter(cmd, cmd->options[o].name);

			if (letter)
				fprintf(out, "%s-%c", o ? " " : "", letter);
			fprintf(out, "%s--%s", o || letter ? " " : "", cmd->options[o].name);
		}
		fputs("\" ;;\n", out);
	}
	fputs("\t*) reply= ;;\n\tesac\n}\n", out);
}

static void print_values(FILE *out)
{
	fputs("\n# _siobpf_value COMMAND OPTION: how the option's value is completed; an\n"
	      "# unknown option is taken for a flag.\n"
	      "_siobpf_value() {\n\tcase \"$1 $2\" in\n",
	      out);
	for (size_t i = 0; i < command_count; i++) {
		const struct command *cmd = &commands[i];

		for (int o = 0; o < CLI_MAX_OPTS && cmd->options[o].name; o++) {
			const struct cli_option *opt = &cmd->options[o];
			char letter = cli_alias_letter(cmd, opt->name);

			fputs("\t", out);
			if (letter)
				fprintf(out, "\"%s -%c\" | ", cmd->name, letter);
			fprintf(out, "\"%s --%s\") reply=\"", cmd->name, opt->name);
			print_kind(out, opt->arg, false);
			fputs("\" ;;\n", out);
		}
	}
	fputs("\t*) reply=\"flag\" ;;\n\tesac\n}\n", out);
}

/* A positional argument is completed by what its synopsis word names.
 * COMMAND spans two words (help vip add); the last argument of an add
 * command is the new object, so no existing one is offered for it. */
static void print_positionals(FILE *out)
{
	fputs("\n# _siobpf_positional COMMAND N: how its positional argument N (from 0) is\n"
	      "# completed.\n"
	      "_siobpf_positional() {\n\tcase \"$1 $2\" in\n",
	      out);
	for (size_t i = 0; i < command_count; i++) {
		const struct command *cmd = &commands[i];
		size_t len = strlen(cmd->name);
		bool adds = len > 4 && !strcmp(cmd->name + len - 4, " add");
		char synopsis[256], *save = NULL, *word;
		int n = 0;

		snprintf(synopsis, sizeof(synopsis), "%s", cmd->synopsis);
		for (word = strtok_r(synopsis, " ", &save); word && n < cmd->max_pos;
		     word = strtok_r(NULL, " ", &save), n++) {
			size_t wlen = strlen(word);

			if (word[0] == '[' && word[wlen - 1] == ']') {
				word[wlen - 1] = 0;
				word++;
			}
			if (adds && n == cmd->max_pos - 1)
				continue;
			if (!strcmp(word, "COMMAND")) {
				fprintf(out, "\t\"%s %d\") reply=\"command\" ;;\n", cmd->name, n);
				if (++n < cmd->max_pos)
					fprintf(out, "\t\"%s %d\") reply=\"subcommand\" ;;\n", cmd->name, n);
				continue;
			}
			fprintf(out, "\t\"%s %d\") reply=\"", cmd->name, n);
			print_kind(out, word, true);
			fputs("\" ;;\n", out);
		}
	}
	fputs("\t*) reply=\"text\" ;;\n\tesac\n}\n", out);
}

/* The part of the script that reads the command line; it asks the
 * functions above about the table. */
static const char reader[] =
	"\n"
	"# _siobpf_line: the words up to the cursor as they were typed. Bash splits\n"
	"# words at ':' and '=' (COMP_WORDBREAKS), so [fd00::1]:80 and --sticky=ip\n"
	"# arrive in pieces; pieces that no blank separates in COMP_LINE are joined\n"
	"# again. Sets words, and base: the start of the last word that bash keeps,\n"
	"# which every candidate loses.\n"
	"_siobpf_line() {\n"
	"\tlocal line=${COMP_LINE-} i n w blanks off=0 sep last_sep=0\n"
	"\twords=()\n"
	"\tfor ((i = 0; i <= COMP_CWORD; i++)); do\n"
	"\t\tw=${COMP_WORDS[i]-}\n"
	"\t\tblanks=${line%%[![:blank:]]*}\n"
	"\t\tline=${line#\"$blanks\"}\n"
	"\t\tline=${line#\"$w\"}\n"
	"\t\t((off += ${#blanks} + ${#w}))\n"
	"\t\tif ((i == COMP_CWORD)) && [[ ${COMP_POINT-} ]] && ((COMP_POINT < off)); then\n"
	"\t\t\tn=$((COMP_POINT - off + ${#w}))\n"
	"\t\t\t((n < 0)) && n=0\n"
	"\t\t\tw=${w:0:n}\n"
	"\t\tfi\n"
	"\t\tsep=0\n"
	"\t\t[[ $w && $w != *[!:=]* ]] && sep=1\n"
	"\t\tif ((i > 0 && ${#words[@]} > 1)) && [[ ! $blanks ]] && ((sep || last_sep)); then\n"
	"\t\t\twords[-1]+=$w\n"
	"\t\telse\n"
	"\t\t\twords+=(\"$w\")\n"
	"\t\tfi\n"
	"\t\tlast_sep=$sep\n"
	"\tdone\n"
	"\t((sep)) && w=\n"
	"\tbase=${words[-1]%\"$w\"}\n"
	"}\n"
	"\n"
	"# _siobpf_offer CANDIDATE...: those that start with the word being completed.\n"
	"_siobpf_offer() {\n"
	"\tlocal c\n"
	"\tfor c; do\n"
	"\t\t[[ $c == \"$cur\"* ]] && COMPREPLY+=(\"${c#\"$base\"}\")\n"
	"\tdone\n"
	"}\n"
	"\n"
	"# _siobpf_running: a line \"VIP BACKEND...\" for each VIP that `status --json`\n"
	"# of the binary on the command line shows, with the --pin-dir given on it.\n"
	"# Nothing when status fails (no maps, not root): completion stays quiet.\n"
	"_siobpf_running() {\n"
	"\tlocal bin=${words[0]} dir=$pin_dir\n"
	"\t[[ $bin == \\~/* ]] && bin=$HOME/${bin#\"~/\"}\n"
	"\t[[ $dir == \\~/* ]] && dir=$HOME/${dir#\"~/\"}\n"
	"\t\"$bin\" ${dir:+--pin-dir \"$dir\"} status --json </dev/null 2>/dev/null |\n"
	"\t\tsed 's/\\\\\\//\\//g; s/{\"vip\":\"/\\n/g' |\n"
	"\t\tawk 'NR > 1 {\n"
	"\t\t\tout = substr($0, 1, index($0, \"\\\"\") - 1)\n"
	"\t\t\ti = index($0, \"\\\"backends\\\":[\")\n"
	"\t\t\trest = i ? substr($0, i) : \"\"\n"
	"\t\t\twhile (match(rest, /\"address\":\"[^\"]*\"/)) {\n"
	"\t\t\t\tout = out \" \" substr(rest, RSTART + 11, RLENGTH - 12)\n"
	"\t\t\t\trest = substr(rest, RSTART + RLENGTH)\n"
	"\t\t\t}\n"
	"\t\t\tprint out\n"
	"\t\t}'\n"
	"}\n"
	"\n"
	"# _siobpf_complete KIND [PREFIX]: offers the values of a kind (what\n"
	"# _siobpf_value or _siobpf_positional said), each after PREFIX (\"--opt=\").\n"
	"_siobpf_complete() {\n"
	"\tlocal kind=${1%% *} prefix=${2-} value=${cur#\"${2-}\"} c vip rest list=()\n"
	"\tcase $kind in\n"
	"\twords)\n"
	"\t\tread -ra list <<<\"${1#words }\" ;;\n"
	"\tiface)\n"
	"\t\tfor c in /sys/class/net/*; do\n"
	"\t\t\t[[ -e $c ]] && list+=(\"${c##*/}\")\n"
	"\t\tdone ;;\n"
	"\tfile | dir)\n"
	"\t\t[[ $kind == file ]] && kind=f || kind=d\n"
	"\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\tmapfile -t list < <(compgen -\"$kind\" -- \"$value\") ;;\n"
	"\tvip)\n"
	"\t\twhile read -r vip rest; do\n"
	"\t\t\tlist+=(\"$vip\")\n"
	"\t\tdone < <(_siobpf_running) ;;\n"
	"\tbackend)\n"
	"\t\twhile read -r vip rest; do\n"
	"\t\t\t[[ $vip == \"${pos[0]}\" || $vip == \"${pos[0]}/tcp\" ]] && read -ra list <<<\"$rest\"\n"
	"\t\tdone < <(_siobpf_running) ;;\n"
	"\tcommand)\n"
	"\t\t_siobpf_commands \"\"\n"
	"\t\tread -ra list <<<\"$reply\" ;;\n"
	"\tsubcommand)\n"
	"\t\t_siobpf_commands \"${pos[-1]}\"\n"
	"\t\tread -ra list <<<\"$reply\" ;;\n"
	"\tesac\n"
	"\tfor c in \"${list[@]}\"; do\n"
	"\t\t_siobpf_offer \"$prefix$c\"\n"
	"\tdone\n"
	"}\n"
	"\n"
	"# _siobpf: finds the command on the line, and what the word being completed\n"
	"# is to it: a global flag, a command word, an option, an option's value or a\n"
	"# positional argument.\n"
	"_siobpf() {\n"
	"\tlocal words base cur reply cmd pin_dir='' i last w opt used=\" \" pos=() list=()\n"
	"\tCOMPREPLY=()\n"
	"\t_siobpf_line\n"
	"\tcur=${words[-1]}\n"
	"\tlast=$((${#words[@]} - 1))\n"
	"\t((last > 0)) || return\n"
	"\n"
	"\t# Global flags come before the command.\n"
	"\tfor ((i = 1; i < last; i++)); do\n"
	"\t\tcase ${words[i]} in\n"
	"\t\t--pin-dir)\n"
	"\t\t\t((i + 1 == last)) && { _siobpf_complete dir; return; }\n"
	"\t\t\tpin_dir=${words[++i]} ;;\n"
	"\t\t--pin-dir=*) pin_dir=${words[i]#*=} ;;\n"
	"\t\t-*) ;;\n"
	"\t\t*) break ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\tif ((i == last)); then\n"
	"\t\tcase $cur in\n"
	"\t\t--pin-dir=*) _siobpf_complete dir --pin-dir= ;;\n"
	"\t\t-*) _siobpf_offer -v -vv --pin-dir ;;\n"
	"\t\t*) _siobpf_complete command ;;\n"
	"\t\tesac\n"
	"\t\treturn\n"
	"\tfi\n"
	"\n"
	"\t# The command: one word, or a group and a second word.\n"
	"\tcmd=${words[i++]}\n"
	"\t_siobpf_commands \"$cmd\"\n"
	"\tif [[ $reply ]]; then\n"
	"\t\t((i == last)) && { _siobpf_complete \"words $reply\"; return; }\n"
	"\t\tcmd+=\" ${words[i++]}\"\n"
	"\tfi\n"
	"\n"
	"\t# Its options, their values and its positional arguments so far.\n"
	"\tfor (( ; i < last; i++)); do\n"
	"\t\tw=${words[i]}\n"
	"\t\tcase $w in\n"
	"\t\t-?*)\n"
	"\t\t\topt=${w%%=*}\n"
	"\t\t\tused+=\"$opt \"\n"
	/* apply refuses the two together: one given, the other is not offered. */
	"\t\t\tcase $opt in --dry-run) used+=\"--at \" ;; --at) used+=\"--dry-run \" ;; esac\n"
	"\t\t\t_siobpf_value \"$cmd\" \"$opt\"\n"
	"\t\t\tif [[ $w == *=* ]]; then\n"
	"\t\t\t\t[[ $opt == --pin-dir ]] && pin_dir=${w#*=}\n"
	"\t\t\telif [[ $reply != flag ]]; then\n"
	"\t\t\t\t((i + 1 == last)) && { _siobpf_complete \"$reply\"; return; }\n"
	"\t\t\t\t[[ $opt == --pin-dir ]] && pin_dir=${words[i + 1]}\n"
	"\t\t\t\t((i++))\n"
	"\t\t\tfi ;;\n"
	"\t\t*) pos+=(\"$w\") ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\n"
	"\tcase $cur in\n"
	"\t-*=*)\n"
	"\t\t_siobpf_value \"$cmd\" \"${cur%%=*}\"\n"
	"\t\t_siobpf_complete \"$reply\" \"${cur%%=*}=\" ;;\n"
	"\t-*)\n"
	"\t\t_siobpf_options \"$cmd\"\n"
	"\t\tread -ra list <<<\"$reply\"\n"
	"\t\tfor opt in \"${list[@]}\"; do\n"
	"\t\t\t[[ $used == *\" $opt \"* ]] || _siobpf_offer \"$opt\"\n"
	"\t\tdone ;;\n"
	"\t*)\n"
	"\t\t_siobpf_positional \"$cmd\" \"${#pos[@]}\"\n"
	"\t\t_siobpf_complete \"$reply\" ;;\n"
	"\tesac\n"
	"}\n"
	"\n"
	"complete -F _siobpf siobpf\n";

void help_bash_completion(FILE *out)
{
	fputs("# bash completion for siobpf(8)                           -*- shell-script -*-\n"
	      "# Generated by `siobpf help --bash-completion` from the command table\n"
	      "# (user/cli/commands.c in the source): regenerate it, do not edit it.\n",
	      out);
	print_commands(out);
	print_options(out);
	print_values(out);
	print_positionals(out);
	fputs(reader, out);
}
