// A migration tool as a user builds one (lake/migrate_main.hpp), over the
// evolving "users" and "orders" structs: version 1 or 2 of them, chosen at
// build time (LAKE_STRUCTS_VERSION), so tool_test.sh can evolve the
// structs between two runs.
#include <lake/migrate_main.hpp>

#include "evolving_structs.hpp"

using namespace lake::testing::migrations;

int main(int argc, char** argv) {
#if LAKE_STRUCTS_VERSION == 1
  return lake::migrate_main<UsersV1, Orders>(argc, argv);
#else
  return lake::migrate_main<UsersV2, OrdersV2>(argc, argv);
#endif
}
