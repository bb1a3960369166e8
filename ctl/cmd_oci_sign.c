/* cmd_oci_sign.c - PLACEHOLDER: being written (see issue notes). */
#include <stdio.h>
#include "edgctl.h"
int
cmd_oci_sign(int argc, char **argv, const char *config_path)
{
	fprintf(stderr, "edgctl: %s: not built yet\n", argv[0]);
	return EDGCTL_FAIL;
}
