/**
 * A loopback stand-in for the Hugging Face Hub's write API (a TEST DOUBLE: nothing real can be reached from
 * CI). It implements just the endpoints `@huggingface/hub`'s `createRepo` and `commit` call:
 * `POST /api/repos/create`, `POST /api/models/{repo}/preupload/{rev}`, the LFS batch
 * `POST /{repo}.git/info/lfs/objects/batch` (basic transfer), the LFS object `PUT` it hands out, and the atomic
 * `POST /api/models/{repo}/commit/{rev}` (NDJSON: header, inline `file`s, `lfsFile` pointers). A commit only
 * lands when every LFS object it names was uploaded. Tokens: `hf_write_<ns>` writes to namespace `<ns>`,
 * `hf_read` may not write, anything else is refused (401).
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One commit of a fake repository: every file's bytes after it. */
export interface FakeCommit {
  readonly oid: string;
  readonly title: string;
  readonly files: ReadonlyMap<string, Buffer>;
}

/** A fake repository. */
export interface FakeRepo {
  readonly private: boolean;
  readonly commits: FakeCommit[];
}

/** Files above this size are LFS files (the real Hub decides by size and content). */
const LFS_ABOVE = 1024;

type Json = (status: number, value: unknown) => void;
type Auth = (namespace: string) => boolean;

/** The fake Hub. */
export class FakeHub {
  readonly repos = new Map<string, FakeRepo>();
  /** LFS objects by `<repo>:<sha256>` (the Hub deduplicates per repository). */
  readonly lfs = new Map<string, Buffer>();
  readonly requests: string[] = [];
  /** LFS uploads received so far. */
  uploads = 0;
  /** Answer the upload with this number (1-based, counting {@link uploads}) with a 500, once. */
  failUpload: number | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly endpoint: string,
  ) {}

  /** Starts the server on a free loopback port. */
  static async start(): Promise<FakeHub> {
    let hub: FakeHub | undefined;
    const server = http.createServer((req, res) => {
      void hub?.handle(req, res).catch((e) => {
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(e) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    hub = new FakeHub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return hub;
  }

  /** Stops the server. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The files of a repository's last commit (empty when none). */
  head(repo: string): ReadonlyMap<string, Buffer> {
    return this.repos.get(repo)?.commits.at(-1)?.files ?? new Map();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", this.endpoint);
    const route = `${req.method} ${url.pathname}`;
    this.requests.push(route);
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    };
    const auth = (namespace: string): boolean => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      if (token !== "hf_read" && !token.startsWith("hf_write_")) {
        json(401, { error: "Invalid credentials in Authorization header" });
        return false;
      }
      if (token !== `hf_write_${namespace}`) {
        json(403, {
          error: `You don't have the rights to create a model under the namespace "${namespace}"`,
        });
        return false;
      }
      return true;
    };
    const routes: [RegExp, (m: RegExpExecArray) => unknown][] = [
      [/^POST \/api\/repos\/create$/, () => this.create(body, auth, json)],
      [
        /^POST \/api\/models\/([^/]+)\/([^/]+)\/preupload\/([^/]+)$/,
        (m) => this.preupload(m, body, auth, json),
      ],
      [/^POST \/([^/]+)\/([^/]+)\.git\/info\/lfs\/objects\/batch$/, (m) => this.batch(m, body, auth, json)],
      [/^PUT \/lfs-upload\/([^/]+\/[^/]+)\/([0-9a-f]{64})$/, (m) => this.upload(m, body, res, json)],
      [/^POST \/api\/models\/([^/]+)\/([^/]+)\/commit\/([^/]+)$/, (m) => this.commit(m, body, auth, json)],
    ];
    for (const [pattern, run] of routes) {
      const m = pattern.exec(route);
      if (m) {
        run(m);
        return;
      }
    }
    json(404, { error: `the fake Hub does not implement ${route}` });
  }

  private create(body: Buffer, auth: Auth, json: Json): unknown {
    {
      const o = JSON.parse(body.toString()) as { name: string; organization: string; visibility?: string };
      if (!auth(o.organization)) return;
      const id = `${o.organization}/${o.name}`;
      if (this.repos.has(id)) return json(409, { error: "You already created this model repo", url: "" });
      this.repos.set(id, { private: o.visibility === "private", commits: [] });
      return json(200, { url: `${this.endpoint}/${id}`, id });
    }
  }

  private preupload(m: RegExpExecArray, body: Buffer, auth: Auth, json: Json): unknown {
    {
      if (!auth(m[1])) return;
      const o = JSON.parse(body.toString()) as { files: { path: string; size: number }[] };
      const files = o.files.map((f) => ({
        path: f.path,
        uploadMode: f.size > LFS_ABOVE ? "lfs" : "regular",
      }));
      return json(200, { files });
    }
  }

  private batch(m: RegExpExecArray, body: Buffer, auth: Auth, json: Json): unknown {
    {
      if (!auth(m[1])) return;
      const o = JSON.parse(body.toString()) as { objects: { oid: string; size: number }[] };
      const href = (oid: string) => `${this.endpoint}/lfs-upload/${m[1]}/${m[2]}/${oid}`;
      const objects = o.objects.map((x) => ({
        ...x,
        ...(this.lfs.has(`${m[1]}/${m[2]}:${x.oid}`) ? {} : { actions: { upload: { href: href(x.oid) } } }),
      }));
      return json(200, { transfer: "basic", objects });
    }
  }

  private upload(m: RegExpExecArray, body: Buffer, res: http.ServerResponse, json: Json): unknown {
    this.uploads++;
    if (this.failUpload === this.uploads) {
      this.failUpload = undefined;
      return json(500, { error: "storage unavailable" });
    }
    if (createHash("sha256").update(body).digest("hex") !== m[2]) return json(400, { error: "bad sha256" });
    this.lfs.set(`${m[1]}:${m[2]}`, body);
    res.writeHead(200).end();
    return;
  }

  private commit(m: RegExpExecArray, body: Buffer, auth: Auth, json: Json): unknown {
    {
      if (!auth(m[1])) return;
      const repo = this.repos.get(`${m[1]}/${m[2]}`);
      if (!repo) return json(404, { error: "Repository not found" });
      const lines = body
        .toString()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { key: string; value: Record<string, string> });
      const files = new Map(repo.commits.at(-1)?.files ?? []);
      let title = "";
      for (const { key, value } of lines) {
        if (key === "header") title = value.summary;
        else if (key === "file") files.set(value.path, Buffer.from(value.content, "base64"));
        else if (key === "lfsFile") {
          const blob = this.lfs.get(`${m[1]}/${m[2]}:${value.oid}`);
          if (!blob) return json(400, { error: `LFS object ${value.oid} of ${value.path} was not uploaded` });
          files.set(value.path, blob);
        } else if (key === "deletedFile") files.delete(value.path);
      }
      const oid = createHash("sha1").update(`${repo.commits.length}:${title}`).digest("hex");
      repo.commits.push({ oid, title, files });
      return json(200, { commitOid: oid, commitUrl: `${this.endpoint}/${m[1]}/${m[2]}/commit/${oid}` });
    }
  }
}

/**
 * Saves `HF_TOKEN` and `HF_ENDPOINT` now; the returned function puts them back as they were (unset if unset).
 * @returns the restore function, for a test file's `after`
 */
export function saveHubEnv(): () => void {
  const saved = { HF_TOKEN: process.env.HF_TOKEN, HF_ENDPOINT: process.env.HF_ENDPOINT };
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
