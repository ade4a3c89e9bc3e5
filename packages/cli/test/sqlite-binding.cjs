// Preloaded (`node --require`, through NODE_OPTIONS) by node-versions.test.ts when berth runs under
// another Node than the one that installed node_modules: better-sqlite3 there is built for that
// Node's ABI, so its load is pointed at a build for this one (BERTH_TEST_SQLITE_BINDING, made by
// scripts/setup.mjs --for-tests). berth's own code is left as users run it; node_modules untouched.
const binding = process.env.BERTH_TEST_SQLITE_BINDING;
const installed = '/node_modules/better-sqlite3/build/Release/better_sqlite3.node';
const dlopen = process.dlopen;
if (binding) {
  process.dlopen = function (module, filename, ...rest) {
    return dlopen.call(this, module, filename.endsWith(installed) ? binding : filename, ...rest);
  };
}
