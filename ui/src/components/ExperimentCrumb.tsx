import { useEffect, useState } from "react";
import { Link } from "wouter";
import { experimentName } from "../api";

export function ExperimentCrumb({ id }: { id: string }) {
  const [name, setName] = useState(`Experiment ${id}`);
  useEffect(() => {
    experimentName(id).then(setName);
  }, [id]);
  return <Link href={`/experiments/${id}`}>{name}</Link>;
}
