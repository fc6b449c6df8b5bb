/* main.c: the native `wasmrec` command. All of the command line lives in cli.c, which the wasm
 * module shares, so native and wasm take the same flags and print the same JSON. */
#include "../wasmrec.h"

int main(int argc, char **argv) { return wr_cli_main(argc, argv); }
