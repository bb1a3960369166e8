/*
 * edgctl.h - the operator's tool: one binary, one function per subcommand
 *
 * Each subcommand lives in ctl/cmd_<name>.c and has the signature of a main():
 * argv[0] is the subcommand's name, options follow. config_path is the -c FILE given
 * before the subcommand (or the default); a subcommand that needs no configuration
 * ignores it. Exit codes: 0 success, 1 the check or operation failed (or the address
 * was not found), 2 usage error, 3 the state (Redis) is unavailable.
 */
#ifndef EDG_EDGCTL_H
#define EDG_EDGCTL_H

#define EDGCTL_OK    0
#define EDGCTL_FAIL  1
#define EDGCTL_USAGE 2
#define EDGCTL_STATE 3

int cmd_config(int argc, char **argv, const char *config_path);
int cmd_oci_sign(int argc, char **argv, const char *config_path);
int cmd_postfix_config(int argc, char **argv, const char *config_path);
int cmd_status(int argc, char **argv, const char *config_path);
int cmd_explain(int argc, char **argv, const char *config_path);
int cmd_suppress(int argc, char **argv, const char *config_path);
int cmd_senders(int argc, char **argv, const char *config_path);
int cmd_sync(int argc, char **argv, const char *config_path);

#endif
