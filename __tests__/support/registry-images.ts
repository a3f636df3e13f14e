/**
 * Puts small images straight into a Distribution registry through its HTTP API (no Docker daemon):
 * a config blob with the labels and `created` a test wants, one empty layer, an OCI manifest.
 */
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'

export interface TestImage {
  /** Image config labels (OCI annotations, the action's commit-time label). */
  readonly labels?: Readonly<Record<string, string>>
  /** The config's own `created`. */
  readonly created?: string
}

const digestOf = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`

async function putBlob(host: string, path: string, body: Buffer): Promise<string> {
  const digest = digestOf(body)
  const start = await fetch(`http://${host}/v2/${path}/blobs/uploads/`, { method: 'POST' })
  if (start.status !== 202) throw new Error(`registry ${host}: starting an upload answered ${start.status}`)
  const location = new URL(start.headers.get('location') ?? '', `http://${host}`)
  location.searchParams.set('digest', digest)
  const put = await fetch(location, { method: 'PUT', body, headers: { 'Content-Type': 'application/octet-stream' } })
  if (put.status !== 201) throw new Error(`registry ${host}: uploading ${digest} answered ${put.status}`)
  return digest
}

/** Pushes `host/path:tag`; returns its manifest digest. */
export async function pushTestImage(host: string, path: string, tag: string, image: TestImage = {}): Promise<string> {
  // An empty tar archive (two zero blocks), gzipped, as the one layer.
  const layer = gzipSync(Buffer.alloc(1024))
  const diffId = digestOf(Buffer.alloc(1024))
  const config = Buffer.from(
    JSON.stringify({
      ...(image.created ? { created: image.created } : {}),
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: image.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  )
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await putBlob(host, path, config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await putBlob(host, path, layer), size: layer.length }],
    }),
  )
  const put = await fetch(`http://${host}/v2/${path}/manifests/${tag}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  })
  if (put.status !== 201) throw new Error(`registry ${host}: pushing ${path}:${tag} answered ${put.status}: ${await put.text()}`)
  return digestOf(manifest)
}
