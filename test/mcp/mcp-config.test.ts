import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMcpConfig, toolFilter } from '../../src/mcp/index.js';

const everything = `[[mcp.server]]
name = "everything"
command = "node"
args = ["server.js", "stdio"]
tool_prefix = "ev"
include = ["get-*", "echo"]
exclude = ["get-env"]
`;

test('a valid [[mcp.server]] gets the defaults of SPEC 11', () => {
  const config = parseMcpConfig(everything);
  assert.equal(config.error, null);
  const entry = config.servers[0]!;
  assert.ok(entry.ok);
  assert.deepEqual(entry.config, {
    name: 'everything',
    command: 'node',
    args: ['server.js', 'stdio'],
    env: {},
    enabled: true,
    tool_prefix: 'ev',
    include: ['get-*', 'echo'],
    exclude: ['get-env'],
    startup_timeout_ms: 10_000,
    call_timeout_ms: 30_000,
  });
});

test('no [mcp] section means no servers and no error', () => {
  assert.deepEqual(parseMcpConfig('[model]\nprovider = "none"\n'), { servers: [], error: null });
});

test('an unknown key is refused naming the key and the allowed keys; the other entries stand', () => {
  const config = parseMcpConfig(`${everything}\n[[mcp.server]]\nname = "typo"\ncommand = "x"\ncomand = "y"\n`);
  assert.equal(config.servers[0]!.ok, true);
  const bad = config.servers[1]!;
  assert.ok(!bad.ok);
  assert.equal(bad.name, 'typo');
  assert.match(bad.error, /mcp\.server\[1\]\.comand: unknown key; allowed keys: name, command, args/);
});

test('a bad glob is refused naming the key and the glob rule', () => {
  const config = parseMcpConfig('[[mcp.server]]\nname = "g"\ncommand = "x"\ninclude = ["[a-z]*"]\n');
  const bad = config.servers[0]!;
  assert.ok(!bad.ok);
  assert.match(bad.error, /mcp\.server\[0\]\.include\.0: a glob uses \* and \?/);
});

test('COVENANT_* variables cannot be configured into a server environment', () => {
  const bad = parseMcpConfig('[[mcp.server]]\nname = "e"\ncommand = "x"\nenv = { COVENANT_TOKEN = "abc" }\n').servers[0]!;
  assert.ok(!bad.ok);
  assert.match(bad.error, /env\.COVENANT_TOKEN: COVENANT_\* variables are never passed/);
});

test('bad values name their key: a relative cwd, a tiny timeout, a name with a dot, a duplicate name', () => {
  const errorOf = (body: string) => {
    const entry = parseMcpConfig(body).servers.at(-1)!;
    assert.ok(!entry.ok, body);
    return entry.error;
  };
  assert.match(errorOf('[[mcp.server]]\nname = "c"\ncommand = "x"\ncwd = "rel"\n'), /\.cwd: an absolute path/);
  assert.match(errorOf('[[mcp.server]]\nname = "t"\ncommand = "x"\ncall_timeout_ms = 5\n'), /\.call_timeout_ms: /);
  assert.match(errorOf('[[mcp.server]]\nname = "a.b"\ncommand = "x"\n'), /mcp\.server\[0\]\.name: letters, digits/);
  assert.match(errorOf('[[mcp.server]]\nname = "d"\ncommand = "x"\n[[mcp.server]]\nname = "d"\ncommand = "y"\n'), /mcp\.server\[1\]\.name: d is declared twice/);
});

test('a file that is not TOML, or an [mcp] with other keys, is one file-level error', () => {
  assert.match(parseMcpConfig('[[mcp.server]\n').error!, /not valid TOML at line 1/);
  assert.match(parseMcpConfig('[mcp]\nservers = 1\n').error!, /mcp\.servers: unknown key/);
});

test('include and exclude filter tool names by glob; an empty include keeps everything', () => {
  const passes = toolFilter(['get-*', 'echo'], ['get-env']);
  assert.deepEqual(['echo', 'get-sum', 'get-env', 'getx', 'echo2'].filter(passes), ['echo', 'get-sum']);
  assert.deepEqual(['a', 'b.c'].filter(toolFilter([], ['b?c'])), ['a']);
});
