import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, InvalidOptionsError } from '../../src/errors.js';
import { type StartedStack, startStack } from '../../src/testing/index.js';
import { slotRange } from '../../src/testing/local/redis-cluster.js';
import { needs } from '../support/stack.js';
import { CreateMode, connectTestClient } from './zookeeper-test-client.js';

const topology = needs('topology', 'starts an ensemble and a cluster');

const modeOf = async (server: {
  fourLetterWord(w: string, o?: { timeoutMs?: number }): Promise<string>;
}): Promise<string> => /^Mode: (\w+)/m.exec(await server.fourLetterWord('srvr', { timeoutMs: 2_000 }))?.[1] ?? 'none';

describe('a 3-server ZooKeeper ensemble and a 3-master Redis Cluster on loopback', topology, () => {
  let stack: StartedStack;

  beforeAll(async () => {
    stack = await startStack({
      provider: 'local',
      zookeeper: { servers: 3, fsync: false },
      redis: { cluster: { masters: 3 } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs three quorum peers: one leader, two followers, all listed in connectString', async () => {
    const servers = stack.zookeeper.servers;
    expect(servers.map((s) => s.id)).toEqual([1, 2, 3]);
    expect(stack.zookeeper.connectString).toBe(servers.map((s) => `127.0.0.1:${s.port}`).join(','));
    expect(new Set(servers.map((s) => s.port)).size).toBe(3);
    const modes = await Promise.all(servers.map(modeOf));
    expect([...modes].sort()).toEqual(['follower', 'follower', 'leader']);
    const leader = await stack.zookeeper.leader();
    expect(modes[servers.indexOf(leader)]).toBe('leader');
  });

  it('replicates a write made through one server to the others', async () => {
    const writer = await connectTestClient(stack.zookeeper.servers[0]!.connectString, 4_000);
    try {
      await writer.create('/replicated', 'hello', CreateMode.PERSISTENT);
    } finally {
      writer.close();
    }
    for (const server of stack.zookeeper.servers.slice(1)) {
      const reader = await connectTestClient(server.connectString, 4_000);
      try {
        // A follower may lag its leader by a moment; sync-free reads are eventually there.
        let data = '';
        const deadline = Date.now() + 5_000;
        while (Date.now() < deadline && data !== 'hello') data = await reader.getData('/replicated').catch(() => '');
        expect(data).toBe('hello');
      } finally {
        reader.close();
      }
    }
  });

  it('elects a new leader when the leader is killed, and takes the old one back as a follower', async () => {
    const oldLeader = await stack.zookeeper.leader();
    await oldLeader.kill();
    expect(oldLeader.isRunning).toBe(false);
    const started = Date.now();
    const newLeader = await stack.zookeeper.leader({ timeoutMs: 15_000 });
    const electionMs = Date.now() - started;
    expect(newLeader.id).not.toBe(oldLeader.id);
    expect(electionMs).toBeLessThan(15_000);
    // The two survivors keep a quorum and serve clients that list every server.
    const client = await connectTestClient(stack.zookeeper.connectString, 4_000);
    try {
      await client.create('/after-election', 'x', CreateMode.PERSISTENT);
    } finally {
      client.close();
    }
    await oldLeader.start();
    expect(await modeOf(oldLeader)).toBe('follower');
    expect((await stack.zookeeper.leader()).id).toBe(newLeader.id);
  });

  it('leader() fails with a ConnectionError naming each server when no quorum is left', async () => {
    // Pause the leader and one follower: the last follower cannot lead alone. (Pausing two
    // followers would not do: a leader keeps saying "leader" until its syncLimit runs out.)
    const leader = await stack.zookeeper.leader();
    const follower = stack.zookeeper.servers.find((s) => s !== leader)!;
    const survivor = stack.zookeeper.servers.find((s) => s !== leader && s !== follower)!;
    await leader.pause();
    await follower.pause();
    try {
      const error = await stack.zookeeper.leader({ timeoutMs: 3_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      const message = (error as Error).message;
      expect(message).toMatch(/^no ZooKeeper server reported Mode: leader within timeoutMs=3000; /);
      for (const paused of [leader, follower])
        expect(message).toContain(`server ${paused.id} (port ${paused.port}): paused`);
      expect(message).toMatch(
        new RegExp(`server ${survivor.id} \\(port ${survivor.port}\\): (not serving|follower|looking)`),
      );
    } finally {
      await leader.resume();
      await follower.resume();
    }
    expect(await stack.zookeeper.leader({ timeoutMs: 15_000 })).toBeDefined();
  });

  it('forms a Redis Cluster: every node agrees, slots split evenly over three masters', async () => {
    expect(stack.redis.isCluster).toBe(true);
    expect(stack.redis.urls).toEqual(stack.redis.nodes.map((n) => `redis://127.0.0.1:${n.port}`));
    const cluster = new Cluster(
      stack.redis.urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })),
      { lazyConnect: true },
    );
    try {
      await cluster.connect();
      const slots = await cluster.cluster('SLOTS');
      const byPort = slots
        .map(([first, last, owner]) => ({ first, last, port: owner?.[1] }))
        .sort((a, b) => a.first - b.first);
      expect(byPort).toEqual(stack.redis.nodes.map((n, i) => ({ ...slotRange(i, 3), port: n.port })));
      for (const node of stack.redis.nodes) {
        const info = await cluster
          .nodes('master')
          .find((m) => m.options.port === node.port)!
          .cluster('INFO');
        expect(info).toMatch(/^cluster_state:ok/m);
        expect(info).toMatch(/^cluster_known_nodes:3\b/m);
      }
    } finally {
      cluster.disconnect();
    }
  });

  it('a paused master takes only its own slots away; the others keep taking writes', async () => {
    const cluster = new Cluster(
      stack.redis.urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })),
      {
        lazyConnect: true,
        redisOptions: { commandTimeout: 500, maxRetriesPerRequest: 0 },
        clusterRetryStrategy: () => 100,
      },
    );
    try {
      await cluster.connect();
      // Keys pinned to each node's slots with hash tags found by asking the cluster.
      const keyOn = async (port: number): Promise<string> => {
        for (let i = 0; ; i += 1) {
          const key = `k{${i}}`;
          const slot = (await cluster.cluster('KEYSLOT', key)) as number;
          const index = stack.redis.nodes.findIndex((n) => n.port === port);
          const range = slotRange(index, 3);
          if (slot >= range.first && slot <= range.last) return key;
        }
      };
      const keys = await Promise.all(stack.redis.nodes.map((n) => keyOn(n.port)));
      const paused = stack.redis.nodes[1]!;
      await paused.pause();
      try {
        expect(await cluster.set(keys[0]!, 'a')).toBe('OK');
        expect(await cluster.set(keys[2]!, 'c')).toBe('OK');
        await expect(cluster.set(keys[1]!, 'b')).rejects.toThrow(/timed out/i);
      } finally {
        await paused.resume();
      }
      expect(await cluster.set(keys[1]!, 'b')).toBe('OK');
      expect(await cluster.mget(keys[0]!)).toEqual(['a']);
    } finally {
      cluster.disconnect();
    }
  });

  it('a restarted cluster node keeps its identity and slots, and comes back ready', async () => {
    const node = stack.redis.nodes[2]!;
    await node.restart();
    const cluster = new Cluster([{ host: '127.0.0.1', port: node.port }], { lazyConnect: true });
    try {
      await cluster.connect();
      expect(await cluster.cluster('INFO')).toMatch(/^cluster_state:ok/m);
      const slots = await cluster.cluster('SLOTS');
      expect(slots.find(([, , owner]) => owner?.[1] === node.port)?.slice(0, 2)).toEqual([
        slotRange(2, 3).first,
        slotRange(2, 3).last,
      ]);
    } finally {
      cluster.disconnect();
    }
  });

  it('the aggregate handles restart every server at once: the ensemble re-forms, the cluster comes back whole', async () => {
    await Promise.all([stack.zookeeper.restart(), stack.redis.restart()]);
    expect(stack.zookeeper.servers.every((s) => s.isRunning)).toBe(true);
    const modes = await Promise.all(stack.zookeeper.servers.map(modeOf));
    expect([...modes].sort()).toEqual(['follower', 'follower', 'leader']);
    // Data survives an ensemble restart (the znodes written by the tests above).
    const client = await connectTestClient(stack.zookeeper.connectString, 4_000);
    try {
      expect(await client.getData('/replicated')).toBe('hello');
    } finally {
      client.close();
    }
    const cluster = new Cluster([{ host: '127.0.0.1', port: stack.redis.nodes[1]!.port }], { lazyConnect: true });
    try {
      await cluster.connect();
      for (const node of cluster.nodes('master')) expect(await node.cluster('INFO')).toMatch(/^cluster_state:ok/m);
      expect(await cluster.set('after-full-restart', '1')).toBe('OK');
    } finally {
      cluster.disconnect();
    }
  });
});

describe('topology options', () => {
  it.each([
    [{ zookeeper: { servers: 2 } }, /zookeeper\.servers must be 1 or an odd number from 3 to 7.*got number 2/],
    [{ zookeeper: { servers: 9 } }, /zookeeper\.servers must be 1 or an odd number from 3 to 7.*got number 9/],
    [{ zookeeper: { servers: 3, singleMemberEnsemble: true } }, /singleMemberEnsemble applies to one server only/],
    [{ redis: { cluster: { masters: 2 } } }, /redis\.cluster\.masters must be an integer from 3 to 16.*got number 2/],
    [
      { redis: { cluster: { masters: 3, nodeTimeoutMs: 0 } } },
      /redis\.cluster\.nodeTimeoutMs must be a whole number of ms from 1 to \d+, got number 0/,
    ],
  ])('rejects %j before starting anything', async (options, message) => {
    const error = await startStack({ provider: 'local', ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses an ensemble from a provider that cannot start one, and says what to use', async () => {
    const error = await startStack({ provider: 'external', zookeeper: { servers: 3 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toMatch(
      /need provider 'local'.*docker-compose\.yml's profiles 'ensemble' and 'cluster'/,
    );
  });
});
