/* edg-syncd - PLACEHOLDER: the daemon is written under its own issue. */
#include <stdio.h>
int main(void);
int
main(void)
{
	fprintf(stderr, "edg-syncd: not built yet\n");
	return 1;
}
