import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RemoteView } from '../../protocol/index.js';
import { CliFailure, type CommandOutcome, type GlobalFlags } from '../output.js';
import type { RemotesAddFlags } from '../register/remotes.js';
import { callDaemon } from '../session.js';

function remoteLine(remote: RemoteView): string {
  const checked = remote.checked_at === null ? 'never checked' : `${remote.check_outcome ?? '?'}@${remote.checked_at}`;
  return [remote.name, remote.url, remote.card_pubkey, `pinned:${remote.pinned_by}`, `token ${remote.token_prefix}…`, checked].join('\t');
}

/** The remote's token, read here so only its value (never the path's other contents) reaches the daemon. */
function readToken(file: string | undefined): string {
  if (file === undefined) throw new CliFailure('E_BAD_REQUEST', 'give the remote\'s token with --token-file F (a token its operator minted with covenant peers add)');
  const path = resolve(file);
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch {
    throw new CliFailure('E_NOT_FOUND', `cannot read the token file ${path}; check the path given to --token-file`);
  }
  if (token === '') throw new CliFailure('E_BAD_REQUEST', `the token file ${path} is empty; put the token the remote minted with covenant peers add in it`);
  return token;
}

export async function remotesAddCommand(flags: GlobalFlags, name: string, url: string, options: RemotesAddFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'remotes_add', {
    name,
    url,
    token: readToken(options.tokenFile),
    ...(options.cardPubkey !== undefined ? { card_pubkey: options.cardPubkey } : {}),
  });
  const how = reply.remote.pinned_by === 'operator' ? 'matches the key you gave' : 'pinned on first use; compare it with what its operator sees in covenant remotes list';
  return { json: reply, human: [`added remote ${reply.remote.name} (${reply.remote.url})`, `card key ${reply.remote.card_pubkey} (${how})`] };
}

export async function remotesListCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'remotes_list', {});
  return { json: reply, human: reply.remotes.length === 0 ? 'no remotes; add one with covenant remotes add <name> <gateway-url> --token-file F' : reply.remotes.map(remoteLine) };
}

export async function remotesCheckCommand(flags: GlobalFlags, name: string | undefined): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'remotes_check', name === undefined ? {} : { name });
  const lines = reply.checks.map((c) => `${c.name}\t${c.outcome}${c.message ? `\t${c.message}` : ''}`);
  const failed = reply.checks.filter((c) => !c.ok);
  const first = failed[0];
  return {
    json: reply,
    human: lines.length === 0 ? 'no remotes' : lines,
    // A remote whose card no longer verifies against its pin is a refusal: exit 1.
    ...(first ? { refused: { code: first.outcome === 'card_mismatch' ? 'E_REMOTE_CARD_MISMATCH' : 'E_REMOTE_UNREACHABLE', message: `${failed.length} remote(s) failed the check` }, exitCode: 1 } : {}),
  };
}

export async function remotesRemoveCommand(flags: GlobalFlags, name: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'remotes_remove', { name });
  return { json: reply, human: `removed remote ${reply.name}` };
}
