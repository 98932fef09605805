// Live tests for MCP servers over stdio (SPEC 11): the real covenantd and covenant binaries on a
// temporary home, with the real third-party `@modelcontextprotocol/server-everything` (a dev
// dependency, started as `node <its bin> stdio`) and a small SDK-based fixture server for what
// server-everything cannot show (cancellation reaching the server, a 17 MiB answer, a crash
// during initialize, garbage on stdout). External service: none beyond Node and those packages.
import assert from 'node:assert/strict';
import { operatorClient } from '../helpers/binaries.js';
import { waitFor } from '../helpers/wait.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { addPeer, auditPayloads, errorJson, okJson } from './helpers.js';
import { everything, EVERYTHING_BIN, fixture, groupMembers, serverLog, serverPid, server, servers, serverToml, waitForServer, writeConfig } from './mcp-helpers.js';

async function withServers(entries: string[], fn: (live: LiveHome) => Promise<void>, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const live = liveHome();
  try {
    Object.assign(live.env, env);
    writeConfig(live, ...entries);
    await live.start();
    await fn(live);
  } finally {
    await live.dispose();
  }
}

function grant(live: LiveHome, action: string, ...extra: string[]): void {
  okJson(live.cli(['capabilities', 'grant', action, ...extra, '--json']), 'capability_granted');
}

function call(live: LiveHome, name: string, args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  return live.cli(['tools', 'call', name, '--args', JSON.stringify(args), '--json'], env);
}

const filtered = everything({ include: ['echo', 'get-*'], exclude: ['get-resource-*', 'get-annotated-*'] });

liveTest('live_mcp_tools_listed_with_prefix_and_globs_and_calls_round_trip', async () => {
  await withServers([filtered], async (live) => {
    const up = await waitForServer(live, 'everything', (s) => s.state === 'up', 'up');
    const tools = okJson(live.cli(['tools', 'list', '--json']), 'tool_list').tools as Array<{ name: string; server: string; inputSchema: Record<string, unknown> }>;
    const remote = tools.filter((t) => t.server === 'everything').map((t) => t.name);
    assert.deepEqual(remote, up.tools);
    for (const name of ['mcp_ev_echo', 'mcp_ev_get-sum', 'mcp_ev_get-env', 'mcp_ev_get-structured-content', 'mcp_ev_get-tiny-image']) assert.ok(remote.includes(name), name);
    assert.ok(remote.every((n) => n.startsWith('mcp_ev_echo') || n.startsWith('mcp_ev_get-')), `include filters: ${remote.join(', ')}`);
    assert.ok(!remote.some((n) => n.startsWith('mcp_ev_get-resource-') || n.startsWith('mcp_ev_get-annotated-')), 'exclude filters');
    assert.ok(tools.some((t) => t.name === 'echo' && t.server === 'builtin'), 'built-ins stay');

    // A call needs tool.call.<name>, like any tool.
    errorJson(call(live, 'mcp_ev_echo', { message: 'hi' }), 'E_CAPABILITY_MISSING');
    for (const name of ['mcp_ev_echo', 'mcp_ev_get-structured-content', 'mcp_ev_get-sum', 'mcp_ev_get-tiny-image']) grant(live, `tool.call.${name}`);
    const echo = okJson(call(live, 'mcp_ev_echo', { message: 'hello over stdio' }), 'tool_result');
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: hello over stdio' }]);
    assert.equal(echo.is_error, false);
    assert.equal(echo.structured_content, undefined);
    const weather = okJson(call(live, 'mcp_ev_get-structured-content', { location: 'Chicago' }), 'tool_result');
    const structured = weather.structured_content as { temperature: unknown; conditions: unknown };
    assert.equal(typeof structured.temperature, 'number');
    assert.equal(typeof structured.conditions, 'string');
    const image = okJson(call(live, 'mcp_ev_get-tiny-image', {}), 'tool_result');
    const items = image.content as Array<{ type: string; mimeType?: string; data?: string }>;
    const png = items.find((c) => c.type === 'image');
    assert.ok(png && png.mimeType === 'image/png' && Buffer.from(png.data!, 'base64').subarray(1, 4).toString() === 'PNG', 'image item passed through with its type');

    // A bad argument is refused by Ajv before the call leaves the daemon: exit 1, no credit.
    const bad = errorJson(call(live, 'mcp_ev_get-sum', { a: 1, b: 'two' }), 'E_BAD_REQUEST');
    assert.match(String(bad.message), /invalid arguments for mcp_ev_get-sum: b: must be number/);
    const sum = okJson(call(live, 'mcp_ev_get-sum', { a: 2, b: 40 }), 'tool_result');
    assert.match(JSON.stringify(sum.content), /42/);

    const rows = auditPayloads(live.home, 'tool_call_completed');
    assert.deepEqual(
      rows.map((r) => [r.tool, r.server, r.outcome]),
      [
        ['mcp_ev_echo', 'everything', 'ok'],
        ['mcp_ev_get-structured-content', 'everything', 'ok'],
        ['mcp_ev_get-tiny-image', 'everything', 'ok'],
        ['mcp_ev_get-sum', 'everything', 'invalid_arguments'],
        ['mcp_ev_get-sum', 'everything', 'ok'],
      ],
    );
    for (const row of rows) {
      assert.match(String(row.arguments_hash_hex), /^[0-9a-f]{64}$/);
      assert.equal(typeof row.duration_ms, 'number');
    }
    assert.ok(!JSON.stringify(rows).includes('hello over stdio'), 'raw arguments never in audit');
    const receipts = okJson(live.cli(['receipts', 'recent', '--resource', 'tool', '--json']), 'receipt_list').receipts as Array<{ status: string; credits_consumed: number }>;
    assert.deepEqual(receipts.map((r) => [r.status, r.credits_consumed]).sort(), [['failed', 0], ['ok', 1], ['ok', 1], ['ok', 1], ['ok', 1]]);

    // Scope pinning: a peer granted echo with message pinned may send only that message.
    const guest = addPeer(live, 'guest');
    okJson(
      live.cli(['capabilities', 'grant', 'tool.call.mcp_ev_echo', '--to', guest.pubkey, '--scope', '{"arguments":{"message":"pinned"}}', '--json']),
      'capability_granted',
    );
    const asGuest = { COVENANT_TOKEN: guest.token };
    errorJson(call(live, 'mcp_ev_echo', { message: 'something else' }, asGuest), 'E_CAPABILITY_MISSING');
    const pinned = okJson(call(live, 'mcp_ev_echo', { message: 'pinned' }, asGuest), 'tool_result');
    assert.deepEqual(pinned.content, [{ type: 'text', text: 'Echo: pinned' }]);
  });
});

liveTest('live_mcp_server_environment_has_no_token_or_covenant_secret', async () => {
  const secret = 'covenant-secret-value-4f9a1c';
  await withServers(
    [everything({ include: ['get-env'], env: { MCP_VISIBLE: 'yes' } })],
    async (live) => {
      await waitForServer(live, 'everything', (s) => s.state === 'up', 'up');
      grant(live, 'tool.call.mcp_ev_get-env');
      const result = okJson(call(live, 'mcp_ev_get-env', {}), 'tool_result');
      const env = JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as Record<string, string>;
      assert.equal(env.MCP_VISIBLE, 'yes', 'its own env is passed');
      assert.ok(env.PATH, 'PATH is allowlisted');
      assert.deepEqual(Object.keys(env).filter((k) => k.startsWith('COVENANT')), []);
      const text = JSON.stringify(env);
      assert.ok(!text.includes(secret));
      assert.ok(!text.includes(live.operatorToken()));
      assert.ok(!text.includes(live.operatorToken().slice(0, 12)));
    },
    { COVENANT_TOKEN_FILE_HINT: secret, COVENANT_SOLANA_SECRET: secret, AWS_SECRET_ACCESS_KEY: secret },
  );
});

liveTest('live_mcp_sigkill_backoff_then_up_and_in_flight_call_crashes_not_replayed', async () => {
  await withServers([everything({ include: ['echo'] }), fixture('fx', 'serve')], async (live) => {
    await waitForServer(live, 'everything', (s) => s.state === 'up', 'up');
    await waitForServer(live, 'fx', (s) => s.state === 'up', 'up');
    grant(live, 'tool.call.mcp_ev_echo');
    grant(live, 'tool.call.mcp_fx_wait');
    grant(live, 'tool.call.mcp_fx_pid');

    // SIGKILL of server-everything: backoff, then up again, and calls work again.
    const first = serverPid(live, 'everything');
    process.kill(first, 'SIGKILL');
    const back = await waitForServer(live, 'everything', (s) => s.state === 'up' && s.restarts === 1, 'up after a restart');
    assert.match(String(back.last_error ?? ''), /^$|SIGKILL/);
    assert.notEqual(serverPid(live, 'everything'), first);
    const states = auditPayloads(live.home, 'tool_server_state').filter((r) => r.server === 'everything').map((r) => r.to);
    assert.deepEqual(states.slice(-3), ['backoff', 'starting', 'up']);
    const backoff = auditPayloads(live.home, 'tool_server_state').find((r) => r.server === 'everything' && r.to === 'backoff')!;
    assert.match(String(backoff.reason), /signal SIGKILL/);
    assert.deepEqual(okJson(call(live, 'mcp_ev_echo', { message: 'again' }), 'tool_result').content, [{ type: 'text', text: 'Echo: again' }]);

    // A call in flight when its server dies answers E_TOOL_SERVER_CRASHED, and is not replayed.
    const client = await operatorClient(live.home);
    try {
      const inFlight = client.request({ kind: 'tools_call', name: 'mcp_fx_wait', arguments: { ms: 600_000, tag: 'inflight-1' } });
      assert.ok(await waitFor(() => serverLog(live, 'fx').includes('call wait inflight-1'), 60_000), 'the call reached the server');
      assert.equal(server(live, 'fx').calls_in_flight, 1);
      process.kill(serverPid(live, 'fx'), 'SIGKILL');
      const reply = await inFlight;
      assert.equal(reply.code, 'E_TOOL_SERVER_CRASHED', JSON.stringify(reply));
      assert.match(String(reply.message), /not replayed/);
    } finally {
      client.close();
    }
    await waitForServer(live, 'fx', (s) => s.state === 'up' && s.restarts === 1, 'up after a restart');
    okJson(call(live, 'mcp_fx_pid', {}), 'tool_result'); // answered in order after anything replayed
    assert.equal(serverLog(live, 'fx').split('call wait inflight-1').length - 1, 1, 'the call reached the server once');
    const outcomes = auditPayloads(live.home, 'tool_call_completed').map((r) => [r.tool, r.outcome]);
    assert.deepEqual(outcomes.find((o) => o[0] === 'mcp_fx_wait'), ['mcp_fx_wait', 'server_crashed']);
  });
});

liveTest('live_mcp_crash_loop_ends_failed_until_tools_restart', async () => {
  await withServers([fixture('crashy', 'crash')], async (live) => {
    const failed = await waitForServer(live, 'crashy', (s) => s.state === 'failed', 'failed');
    assert.equal(failed.restarts, 4);
    assert.match(String(failed.last_error), /exited \(exit code 3\).*5 crashes within 60 s.*covenant tools restart crashy/);
    okJson(live.cli(['ping', '--json']), 'daemon_ping');
    // It stays failed: nothing restarts it on its own.
    assert.equal(server(live, 'crashy').state, 'failed');
    assert.ok(serverLog(live, 'crashy').includes('fixture: crashing during initialize'));

    // tools restart needs tools.restart, and re-reads the entry.
    const refused = errorJson(live.cli(['tools', 'restart', 'crashy', '--json']), 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /covenant capabilities grant tools\.restart/);
    grant(live, 'tools.restart');
    writeConfig(live, fixture('crashy', 'serve'));
    const restarted = okJson(live.cli(['tools', 'restart', 'crashy', '--json']), 'tool_server_restarted').server as { state: string; restarts: number; tools: string[] };
    assert.equal(restarted.state, 'up');
    assert.ok(restarted.tools.includes('mcp_crashy_pid'));
    errorJson(live.cli(['tools', 'restart', 'nosuch', '--json']), 'E_NOT_FOUND');
    assert.deepEqual(
      auditPayloads(live.home, 'tool_server_restarted').map((r) => [r.server, r.state]),
      [['crashy', 'up']],
    );
  });
});

liveTest('live_mcp_unstartable_garbage_and_misconfigured_servers_leave_the_daemon_serving', async () => {
  const missing = '/nonexistent/covenant-mcp-server';
  await withServers(
    [
      // A shell, not node: it prints before the 1000 ms start-up timeout even on a loaded machine.
      serverToml({
        name: 'garbage',
        command: '/bin/sh',
        args: ['-c', "echo 'this is not JSON-RPC'; echo 'fixture: printing garbage and hanging' >&2; exec sleep 600"],
        tool_prefix: 'garbage',
        startup_timeout_ms: 1000,
      }),
      `[[mcp.server]]\nname = "missing"\ncommand = "${missing}"\n`,
      everything({ include: ['echo'] }),
    ],
    async (live) => {
      await waitForServer(live, 'everything', (s) => s.state === 'up', 'up');
      // Each is retried with backoff, then given up on: failed, with why.
      const gone = await waitForServer(live, 'missing', (s) => s.state === 'failed', 'failed');
      assert.match(String(gone.last_error), /no such program/);
      const garbage = await waitForServer(live, 'garbage', (s) => s.state === 'failed', 'failed');
      assert.match(String(garbage.last_error), /did not answer initialize within 1000 ms/);
      assert.equal(garbage.restarts, 4);
      okJson(live.cli(['ping', '--json']), 'daemon_ping');

      const doctor = live.cli(['doctor', '--json']);
      assert.equal(doctor.code, 1, doctor.stdout);
      const checks = (doctor.json!.checks as Array<{ name: string; ok: boolean | null; detail: string; fix: string | null; log_tail?: string[] }>).filter((c) =>
        c.name.startsWith('mcp_'),
      );
      const check = (name: string) => {
        const found = checks.find((c) => c.name === `mcp_server:${name}`);
        assert.ok(found, `doctor has no mcp_server:${name}: ${JSON.stringify(checks)}`);
        return found;
      };
      assert.equal(check('everything').ok, true);
      assert.equal(check('missing').ok, false);
      assert.ok(check('missing').log_tail!.some((l) => l.includes(`cannot start ${missing}`)), JSON.stringify(check('missing')));
      assert.match(String(check('missing').fix), /covenant tools restart missing/);
      assert.ok(check('garbage').log_tail!.some((l) => l.includes('fixture: printing garbage')));
      assert.ok(check('garbage').log_tail!.some((l) => l.includes('ignored a line on stdout that is not JSON-RPC')));
      // A misconfigured entry (config.toml is checked as a whole, docs/configuration.md): the
      // SIGHUP is refused and the servers keep running as they were; doctor says why.
      writeConfig(live, everything({ include: ['echo'] }), '[[mcp.server]]\nname = "typo"\ncommand = "node"\nincude = ["*"]\n');
      live.daemon!.child.kill('SIGHUP');
      assert.ok(await waitFor(() => live.daemon!.stderr().includes('SIGHUP refused')), 'the reload is refused');
      const config = (live.cli(['doctor', '--json']).json!.checks as Array<{ name: string; ok: boolean | null; detail: string }>).find((c) => c.name === 'config')!;
      assert.equal(config.ok, false);
      assert.match(config.detail, /mcp\.server\[1\]\.incude: unknown key/);
      assert.deepEqual(servers(live).map((s) => s.name).sort(), ['everything', 'garbage', 'missing']);
      assert.equal(server(live, 'everything').state, 'up');
      // Human doctor shows the last stderr lines too.
      const human = live.cli(['doctor']);
      assert.match(human.stdout, /\| \[covenant\] cannot start \/nonexistent\/covenant-mcp-server/);
    },
  );
});

liveTest('live_mcp_sh_wrapper_leaves_no_process_of_its_group_after_shutdown', async () => {
  const live = liveHome();
  try {
    // sh starts server-everything as its child (not exec), and a background sleeper that ignores stdin.
    const wrapped = `sleep 600 & "${process.execPath}" "${EVERYTHING_BIN}" stdio; wait`;
    writeConfig(live, `[[mcp.server]]\nname = "wrapped"\ncommand = "sh"\nargs = ["-c", ${JSON.stringify(wrapped)}]\n`);
    await live.start();
    await waitForServer(live, 'wrapped', (s) => s.state === 'up', 'up');
    const pgid = serverPid(live, 'wrapped');
    const members = groupMembers(pgid);
    assert.ok(members.length >= 3, `sh, node and sleep in the group: ${members.join(' ')}`);
    assert.notEqual(pgid, live.daemon!.child.pid, 'its own group, not the daemon');
    assert.equal(await live.daemon!.stop('SIGTERM'), 0);
    live.daemon = null;
    assert.deepEqual(groupMembers(pgid), [], 'no process of the group is left');
  } finally {
    await live.dispose();
  }
});

liveTest('live_mcp_oversized_answer_restarts_the_server_and_a_slow_call_is_cancelled', async () => {
  await withServers([fixture('fx', 'serve'), fixture('slow', 'serve', { call_timeout_ms: 1500 })], async (live) => {
    await waitForServer(live, 'fx', (s) => s.state === 'up', 'up');
    await waitForServer(live, 'slow', (s) => s.state === 'up', 'up');
    for (const tool of ['flood', 'pid']) grant(live, `tool.call.mcp_fx_${tool}`);
    grant(live, 'tool.call.mcp_slow_wait');

    // A call over its server's call_timeout_ms: E_TOOL_TIMEOUT, and the server is told to cancel.
    const slow = errorJson(call(live, 'mcp_slow_wait', { ms: 600_000, tag: 'slow-1' }), 'E_TOOL_TIMEOUT');
    assert.match(String(slow.message), /1500 ms/);
    assert.ok(await waitFor(() => serverLog(live, 'slow').includes('cancelled wait slow-1'), 60_000), 'the server saw notifications/cancelled');
    assert.deepEqual([server(live, 'slow').state, server(live, 'slow').restarts], ['up', 0]);

    // An answer over 16 MiB closes the transport; the call answers crashed, the server restarts.
    const big = errorJson(call(live, 'mcp_fx_flood', { bytes: 17 * 1024 * 1024 }), 'E_TOOL_SERVER_CRASHED');
    assert.match(String(big.message), /over 16777216 bytes/);
    await waitForServer(live, 'fx', (s) => s.state === 'up' && s.restarts === 1, 'up after a restart');
    okJson(call(live, 'mcp_fx_pid', {}), 'tool_result');
    okJson(call(live, 'mcp_fx_flood', { bytes: 100_000 }), 'tool_result');
    assert.deepEqual(
      auditPayloads(live.home, 'tool_call_completed').map((r) => r.outcome),
      ['timeout', 'server_crashed', 'ok', 'ok'],
    );
  });
});

liveTest('live_mcp_sighup_reloads_the_server_entries', async () => {
  await withServers([fixture('first', 'serve')], async (live) => {
    await waitForServer(live, 'first', (s) => s.state === 'up', 'up');
    const firstPid = serverPid(live, 'first');
    writeConfig(live, fixture('second', 'serve', { include: ['pid'] }));
    live.daemon!.child.kill('SIGHUP');
    const second = await waitForServer(live, 'second', (s) => s.state === 'up', 'up');
    assert.deepEqual(second.tools, ['mcp_second_pid']);
    assert.ok(await waitFor(() => groupMembers(firstPid).length === 0, 60_000), 'the removed server\'s group is gone');
    const names = (okJson(live.cli(['tools', 'list', '--json']), 'tool_list').tools as Array<{ name: string }>).map((t) => t.name);
    assert.ok(!names.some((n) => n.startsWith('mcp_first_')), names.join(', '));
    assert.deepEqual(
      (okJson(live.cli(['tools', 'servers', '--json']), 'tool_servers').servers as Array<{ name: string }>).map((s) => s.name),
      ['second'],
    );
  });
});
