export interface VolumeRecord {
  name: string;
  driver: string;
  // Host directory that containers mount.
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  // True for volumes created without a name by an image VOLUME or an anonymous -v.
  anonymous: boolean;
}
