import type { PrismaClient } from "../../generated/prisma/client.ts";
import { Understanding, type LabelledMessage } from "../understanding/understanding.ts";
import { loadTownVocabulary } from "../understanding/vocabulary.ts";
import { GridIndex, type GridSnapshot } from "./index.ts";

/** Raised when the configured town has no data in the database yet. */
export class TownNotLoadedError extends Error {
  constructor(readonly townCode: string) {
    super(`Town "${townCode}" has no data in the database; import a town-data file first (npm run import -- <file>).`);
    this.name = "TownNotLoadedError";
  }
}

/** Reads one town's grid from the database into a {@link GridSnapshot}. */
export async function loadGridSnapshot(prisma: PrismaClient, townCode: string): Promise<GridSnapshot> {
  const town = await prisma.town.findUnique({
    where: { code: townCode },
    include: {
      districts: {
        orderBy: { sortOrder: "asc" },
        include: { members: { orderBy: { sortOrder: "asc" } }, neighbourhoods: { orderBy: { code: "asc" } } },
      },
      roadCommittees: { orderBy: { code: "asc" } },
      roads: {
        orderBy: { code: "asc" },
        include: { roadCommittee: true, segments: { orderBy: { fromNumber: "asc" }, include: { district: true, neighbourhood: true } } },
      },
    },
  });
  if (!town) throw new TownNotLoadedError(townCode);
  return {
    town: {
      code: town.code,
      name: { zh: town.name, en: town.nameEn },
      office: {
        name: { zh: town.officeName, en: town.officeNameEn },
        phone: town.officePhone,
        hours: { zh: town.officeHours, en: town.officeHoursEn },
        address: town.officeAddress,
      },
      referencePrefix: town.referencePrefix,
      isSample: town.isSample,
    },
    districts: town.districts.map((district) => ({
      code: district.code,
      name: { zh: district.name, en: district.nameEn },
      committee: {
        name: { zh: district.committeeName, en: district.committeeNameEn },
        officePhone: district.officePhone,
        officeHours: { zh: district.officeHours, en: district.officeHoursEn },
        officeAddress: district.officeAddress,
        members: district.members.map((member) => ({
          role: member.role,
          title: { zh: member.title, en: member.titleEn },
          personName: member.personName,
          contact: member.contact,
        })),
      },
      boundary: (district.boundary as [number, number][][] | null) ?? null,
    })),
    neighbourhoods: town.districts.flatMap((district) =>
      district.neighbourhoods.map((neighbourhood) => ({
        code: neighbourhood.code,
        districtCode: district.code,
        name: { zh: neighbourhood.name, en: neighbourhood.nameEn },
        aliases: neighbourhood.aliases,
        committee: {
          name: { zh: neighbourhood.committeeName, en: neighbourhood.committeeNameEn },
          phone: neighbourhood.committeePhone,
          address: neighbourhood.committeeAddress,
        },
        partyOrganisation: neighbourhood.partyOrganisation,
      })),
    ),
    roadCommittees: town.roadCommittees.map((committee) => ({
      code: committee.code,
      name: { zh: committee.name, en: committee.nameEn },
      phone: committee.officePhone,
      address: committee.officeAddress,
    })),
    roads: town.roads.map((road) => ({
      code: road.code,
      name: { zh: road.name, en: road.nameEn },
      aliases: road.aliases,
      roadCommitteeCode: road.roadCommittee.code,
      segments: road.segments.map((segment) => ({
        from: segment.fromNumber,
        to: segment.toNumber,
        parity: segment.parity,
        districtCode: segment.district.code,
        neighbourhoodCode: segment.neighbourhood?.code ?? null,
      })),
    })),
  };
}

/**
 * The town as the flows read it: the "who runs my district" index and the
 * understanding of free text, both in memory, rebuilt together on
 * {@link GridDirectory.refreshIfChanged} after an import, so no lookup and no
 * reading of a message waits on the database.
 */
export class GridDirectory {
  private constructor(
    private readonly prisma: PrismaClient,
    private readonly townCode: string,
    private readonly labelled: readonly LabelledMessage[],
    private current: { index: GridIndex; understanding: Understanding },
    private dataHash: string,
  ) {}

  /**
   * @param labelled the project's labelled messages the understanding learns from (data/understanding/dev.yaml)
   */
  static async open(prisma: PrismaClient, townCode: string, labelled: readonly LabelledMessage[]): Promise<GridDirectory> {
    const dataHash = await currentDataHash(prisma, townCode);
    return new GridDirectory(prisma, townCode, labelled, await build(prisma, townCode, labelled), dataHash);
  }

  get index(): GridIndex {
    return this.current.index;
  }

  /** Reads residents' free text in this town's words; see {@link Understanding}. */
  get understanding(): Understanding {
    return this.current.understanding;
  }

  /**
   * Rebuilds the index and the understanding when the town's data was
   * re-imported since they were built (by `npm run import` in another process,
   * or another instance). Costs one primary-key read when nothing changed, so
   * it can run on a timer.
   *
   * @returns whether they were rebuilt
   */
  async refreshIfChanged(): Promise<boolean> {
    const dataHash = await currentDataHash(this.prisma, this.townCode);
    if (dataHash === this.dataHash) return false;
    this.current = await build(this.prisma, this.townCode, this.labelled);
    this.dataHash = dataHash;
    return true;
  }
}

async function build(prisma: PrismaClient, townCode: string, labelled: readonly LabelledMessage[]) {
  const [snapshot, vocabulary] = await Promise.all([loadGridSnapshot(prisma, townCode), loadTownVocabulary(prisma, townCode)]);
  const index = new GridIndex(snapshot);
  return { index, understanding: new Understanding(index, vocabulary, labelled) };
}

async function currentDataHash(prisma: PrismaClient, townCode: string): Promise<string> {
  const town = await prisma.town.findUnique({ where: { code: townCode }, select: { dataHash: true } });
  if (!town) throw new TownNotLoadedError(townCode);
  return town.dataHash;
}
