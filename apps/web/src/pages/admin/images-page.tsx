import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { formErrors } from '../../api/field-errors.js';
import { Empty, Field, FieldError, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import type { AdminImagesQuery, InstanceKind } from '../../gql/graphql.js';
import { importProgress, stillImporting } from './admin-figures.js';

const AdminImages = graphql(`
  query AdminImages {
    images { id name os version kind status sizeMb }
  }
`);

const RegisterImage = graphql(`
  mutation RegisterImage($input: RegisterImageInput!) {
    registerImage(input: $input) { id name os version kind status sizeMb }
  }
`);

type Image = AdminImagesQuery['images'][number];
const FIELDS = ['id', 'name', 'os', 'version', 'kind', 'source', 'sha256'];
const EMPTY_FORM = { id: '', name: '', os: '', version: '', kind: 'CONTAINER' as InstanceKind, source: '', sha256: '' };

/** How often the page asks again while an import is under way (the API has no subscription for images). */
const IMPORT_POLL_MS = 2000;

/** The images, every status; registering one from a URL and its sha256, its import watched until it is available or failed. */
export function ImagesPage() {
  const [images, setImages] = useState<Image[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [form, setForm] = useState(EMPTY_FORM);
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  // The image registered here: its progress is announced as it changes.
  const [watched, setWatched] = useState<string | null>(null);

  const load = useCallback(() => request(AdminImages).then(({ images }) => {
    setImages(images);
    setProblem(null);
  }, (error: ApiError) => setProblem(error.message)), []);

  useEffect(() => {
    void load();
  }, [load]);

  const importing = images !== null && stillImporting(images);
  useEffect(() => {
    if (!importing) return undefined;
    const timer = setInterval(load, IMPORT_POLL_MS);
    return () => clearInterval(timer);
  }, [importing, load]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const { registerImage } = await request(RegisterImage, { input: { ...form, source: form.source.trim(), sha256: form.sha256.trim() } });
      setImages((current) => [...(current ?? []).filter((i) => i.id !== registerImage.id), registerImage]);
      setWatched(registerImage.id);
      setErrors(noErrors);
      setForm(EMPTY_FORM);
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], FIELDS));
    } finally {
      setBusy(false);
    }
  };

  const watchedImage = images?.find((i) => i.id === watched);
  const set = (field: keyof typeof form) => (event: { target: { value: string } }) => setForm((current) => ({ ...current, [field]: event.target.value }));
  return (
    <section>
      <h1>Images</h1>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {/* Polite: a screen reader hears the import's progress without leaving the page. */}
      <p className="live-status" role="status">
        {watchedImage ? <>Image {watchedImage.id}: {importProgress(watchedImage.status).text}</> : null}
      </p>
      {images === null ? <p>Loading the images…</p> : images.length === 0 ? (
        <Empty title="No images yet">
          <p>Customers create instances from images. Register one below: an http(s) URL of a qcow2 or raw disk (VM) or of a rootfs tarball (container), and its sha256.</p>
        </Empty>
      ) : (
        <ul className="admin-rows" aria-label="Images">
          {images.map((image) => {
            const progress = importProgress(image.status);
            return (
              <li key={image.id} className="admin-row" aria-label={image.id}>
                <span className="name">{image.name} <span className="muted">({image.id})</span></span>
                <span className={`status status-${progress.tone}`}>{image.status}{progress.settled ? '' : '…'}</span>
                <span className="muted">{image.kind === 'VM' ? 'VM disk' : 'Container rootfs'} · {image.os} {image.version}{image.sizeMb === null || image.sizeMb === undefined ? '' : ` · ${image.sizeMb} MB`}</span>
              </li>
            );
          })}
        </ul>
      )}
      <form className="admin-form" onSubmit={submit} noValidate aria-labelledby="new-image">
        <h2 id="new-image">Register an image</h2>
        <GeneralErrors errors={errors} />
        <div className="row">
          <Field label="Image id" name="id" value={form.id} onChange={set('id')} error={errors.fields.id} hint="e.g. debian-13" autoCapitalize="none" spellCheck={false} />
          <Field label="Image name" name="name" value={form.name} onChange={set('name')} error={errors.fields.name} />
          <Field label="OS" name="os" value={form.os} onChange={set('os')} error={errors.fields.os} hint="e.g. debian" />
          <Field label="Version" name="version" value={form.version} onChange={set('version')} error={errors.fields.version} />
          <div className="field">
            <label htmlFor="image-kind">Kind</label>
            <select id="image-kind" value={form.kind} onChange={set('kind')} aria-invalid={errors.fields.kind ? true : undefined}>
              <option value="CONTAINER">Container (rootfs tarball)</option>
              <option value="VM">Virtual machine (qcow2 or raw disk)</option>
            </select>
            <FieldError error={errors.fields.kind} />
          </div>
        </div>
        <Field label="Source URL" name="source" type="url" value={form.source} onChange={set('source')} error={errors.fields.source} hint="http(s), or a path under the region's image storage" autoCapitalize="none" spellCheck={false} />
        <Field label="SHA-256" name="sha256" value={form.sha256} onChange={set('sha256')} error={errors.fields.sha256} hint="64 hexadecimal digits: the import is refused if the file differs" autoCapitalize="none" spellCheck={false} />
        <button type="submit" disabled={busy}>{busy ? 'Registering…' : 'Register image'}</button>
      </form>
    </section>
  );
}
