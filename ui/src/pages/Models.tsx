import { Link } from "wouter";

export function ModelsPage() {
  return (
    <main className="page">
      <h1>Registered models</h1>
      <p className="muted">The model registry is not available on this server yet.</p>
    </main>
  );
}

export function ModelPage({ name }: { name: string }) {
  return (
    <main className="page">
      <div className="crumbs">
        <Link href="/models">Models</Link> /
      </div>
      <h1>{name}</h1>
    </main>
  );
}
