// Disk usage as `docker system df` reports it: layers, images with the bytes
// they share with other images, containers' writable layers, and volumes.
import type { ContainerRecord } from '../container/types';
import type { ImageService } from '../image/service';
import type { ImageRecord } from '../image/types';
import { directorySize, type VolumeStore } from '../volume/store';
import type { VolumeRecord } from '../volume/types';
import type { ContainerSize } from './engine';

export interface ImageUsage {
  image: ImageRecord;
  // Bytes of the image's layers.
  size: number;
  // Bytes of the image's layers that at least one other image uses too.
  sharedSize: number;
  // Containers created from the image.
  containers: number;
}

export interface ContainerUsage extends ContainerSize {
  record: ContainerRecord;
}

export interface VolumeUsage {
  volume: VolumeRecord;
  size: number;
  // Containers that mount the volume.
  refCount: number;
}

export interface DiskUsage {
  // Bytes of all layers that images use, each layer counted once.
  layersSize: number;
  images: ImageUsage[];
  containers: ContainerUsage[];
  volumes: VolumeUsage[];
}

export interface DiskUsageSources {
  images: ImageService;
  volumes: VolumeStore;
  containers: ContainerRecord[];
  upperDir: (containerId: string) => string;
}

// Measures the store. Layer sizes are the regular-file bytes recorded at
// unpack; writable layers and volumes are walked now, counting hard links once.
export async function measureDiskUsage(sources: DiskUsageSources): Promise<DiskUsage> {
  const images = sources.images.list();
  const layersOf = new Map(images.map((image) => [image.id, sources.images.imageLayers(image.id)]));

  // How many images use each layer, and its size.
  const layerUsers = new Map<string, { size: number; users: number }>();
  for (const layers of layersOf.values()) {
    for (const layer of new Map(layers.map((item) => [item.chainId, item])).values()) {
      const entry = layerUsers.get(layer.chainId) ?? { size: layer.size, users: 0 };
      entry.users++;
      layerUsers.set(layer.chainId, entry);
    }
  }
  const layersSize = [...layerUsers.values()].reduce((total, layer) => total + layer.size, 0);

  const imageUsage = images.map((image) => {
    const layers = layersOf.get(image.id) ?? [];
    const sharedSize = layers.filter((layer) => (layerUsers.get(layer.chainId)?.users ?? 0) > 1).reduce((total, layer) => total + layer.size, 0);
    const containers = sources.containers.filter((record) => record.imageId === image.id).length;
    return { image, size: image.size, sharedSize, containers };
  });

  const containerUsage: ContainerUsage[] = [];
  for (const record of sources.containers) {
    const sizeRw = await directorySize(sources.upperDir(record.id));
    const imageSize = images.find((image) => image.id === record.imageId)?.size ?? 0;
    containerUsage.push({ record, sizeRw, sizeRootFs: sizeRw + imageSize });
  }

  const volumeUsage: VolumeUsage[] = [];
  for (const volume of sources.volumes.list()) {
    const refCount = sources.containers.filter((record) => record.mounts.some((mount) => mount.type === 'volume' && mount.name === volume.name)).length;
    volumeUsage.push({ volume, size: await directorySize(volume.mountpoint), refCount });
  }

  return { layersSize, images: imageUsage, containers: containerUsage, volumes: volumeUsage };
}
