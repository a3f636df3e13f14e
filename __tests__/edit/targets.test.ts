import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import { parseEditSettings } from '../../src/edit/settings.js'
import { describeTarget, overlayTargets, parseTargets } from '../../src/edit/targets.js'
import { recordInputs } from '../../src/inputs.js'

describe('parseTargets', () => {
  it('reads one target a line, every kind, skipping blanks and comments', () => {
    const text = `
      # overlays
      kustomize deploy/note-book/overlays/prod
      kustomize ./deploy/shop/overlays/prod/ name=shop-api
      yaml apps/web-api/values-prod.yaml image.tag
      yaml apps/web-api/values-prod.yaml image.repository
      yaml charts/values.yaml sidecars[0].image
      yaml charts/values.yaml app.version as=tag
      yaml "dir with space/values.yaml" a."b.c"[2]
      flux clusters/staging/app.yaml flux-system:app
      flux clusters/staging/app.yaml
      manifest manifests/app.k8s.yaml
    `
    expect(parseTargets(text, 'targets')).toEqual([
      { kind: 'kustomize', path: 'deploy/note-book/overlays/prod' },
      { kind: 'kustomize', path: 'deploy/shop/overlays/prod', imageName: 'shop-api' },
      { kind: 'yaml', file: 'apps/web-api/values-prod.yaml', keyPath: ['image', 'tag'], part: 'tag' },
      { kind: 'yaml', file: 'apps/web-api/values-prod.yaml', keyPath: ['image', 'repository'], part: 'name' },
      { kind: 'yaml', file: 'charts/values.yaml', keyPath: ['sidecars', 0, 'image'], part: 'reference' },
      { kind: 'yaml', file: 'charts/values.yaml', keyPath: ['app', 'version'], part: 'tag' },
      { kind: 'yaml', file: 'dir with space/values.yaml', keyPath: ['a', 'b.c', 2], part: 'reference' },
      { kind: 'flux-setter', file: 'clusters/staging/app.yaml', policy: 'flux-system:app' },
      { kind: 'flux-setter', file: 'clusters/staging/app.yaml' },
      { kind: 'manifest', file: 'manifests/app.k8s.yaml' },
    ])
  })

  it('describes targets the way they are written', () => {
    const text = 'yaml v.yaml a."b.c"[2].tag\nkustomize o name=x\nflux f.yaml ns:p\nmanifest m.yaml'
    expect(parseTargets(text, 'targets').map(describeTarget)).toEqual([
      'yaml v.yaml a."b.c"[2].tag',
      'kustomize o name=x',
      'flux f.yaml ns:p',
      'manifest m.yaml',
    ])
  })

  it.each([
    ['helm values.yaml image.tag', /line 2 \(helm values.yaml image.tag\): 'helm' is not a target kind/],
    ['kustomize', /kustomize needs a path/],
    ['kustomize ../other/overlays/prod', /leads out of the repository/],
    ['kustomize deploy/../../etc', /leads out of the repository/],
    ['yaml /etc/passwd a', /not a relative path inside the repository/],
    ['yaml .git/config a', /points into .git/],
    ['yaml C:\\x.yaml a', /not a relative path/],
    ['yaml values.yaml', /needs a key path/],
    ['yaml values.yaml image..tag', /empty key/],
    ['yaml values.yaml image[x]', /list index is a whole number/],
    ['yaml values.yaml image.tag as=version', /as=version is not one of tag, name, digest, reference/],
    ['yaml values.yaml image.tag extra', /unexpected 'extra'/],
    ['kustomize o name=', /name= is empty/],
    ['kustomize o name=App:1', /name='App:1' is not an image name: .*tag/],
    ['kustomize o name=ghcr.io/acme/app@sha256:abc', /is not an image name: it carries a digest/],
    ['kustomize o tag=x', /kustomize takes no option 'tag'/],
    ['flux f.yaml App', /'App' is not an image policy/],
    ['manifest m.yaml more', /unexpected 'more'/],
  ])('%s → InputError', (line, message) => {
    const run = () => parseTargets(`\n${line}`, 'targets')
    expect(run).toThrow(InputError)
    expect(run).toThrow(message)
    expect(run).toThrow(/^Input 'targets': line 2/)
  })

  it('overlayTargets checks each path and names overlay-path', () => {
    expect(overlayTargets(['deploy/a', 'deploy/b/kustomization.yml'], 'app')).toEqual([
      { kind: 'kustomize', path: 'deploy/a', imageName: 'app' },
      { kind: 'kustomize', path: 'deploy/b/kustomization.yml', imageName: 'app' },
    ])
    expect(() => overlayTargets(['../x'], undefined)).toThrow(/^Input 'overlay-path': '..\/x' leads out of the repository/)
  })
})

describe('parseEditSettings', () => {
  it('joins overlay-path and targets; kustomize-image-name is the default entry name', () => {
    const settings = parseEditSettings(
      recordInputs({
        'overlay-path': 'deploy/note-book/overlays/prod\n# staging later\ndeploy/note-book/overlays/dev',
        'kustomize-image-name': 'note-book',
        targets: 'kustomize deploy/x\nkustomize deploy/y name=y\nmanifest m.yaml',
        validate: 'true',
      }),
    )
    expect(settings).toEqual({
      targets: [
        { kind: 'kustomize', path: 'deploy/note-book/overlays/prod', imageName: 'note-book' },
        { kind: 'kustomize', path: 'deploy/note-book/overlays/dev', imageName: 'note-book' },
        { kind: 'kustomize', path: 'deploy/x', imageName: 'note-book' },
        { kind: 'kustomize', path: 'deploy/y', imageName: 'y' },
        { kind: 'manifest', file: 'm.yaml' },
      ],
      validate: 'true',
    })
  })

  it('defaults validate to auto', () => {
    expect(parseEditSettings(recordInputs({ 'overlay-path': 'o' })).validate).toBe('auto')
  })

  it.each([
    [{}, /Input 'overlay-path': is empty, and so is 'targets'/],
    [{ 'overlay-path': 'o', validate: 'maybe' }, /Input 'validate': 'maybe' is not one of auto, true, false/],
    [{ 'overlay-path': 'o', 'kustomize-image-name': 'App:1' }, /^Input 'kustomize-image-name': 'App:1' is not an image name: it carries a tag/],
  ])('rejects %j', (inputs, message) => {
    expect(() => parseEditSettings(recordInputs(inputs))).toThrow(message)
  })
})
